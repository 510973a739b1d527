"""Vocabulary built from the training split; id 0 is padding, id 1 is the out-of-vocabulary word."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

PAD = "<pad>"
UNK = "<unk>"
PAD_ID = 0
UNK_ID = 1


@dataclass
class Vocabulary:
    itos: list[str]
    stoi: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.itos[:2] != [PAD, UNK]:
            raise ValueError("a vocabulary starts with <pad>, <unk>")
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    @classmethod
    def build(cls, token_lists: Iterable[list[str]], min_freq: int = 1) -> Vocabulary:
        """Words of the training split with at least `min_freq` occurrences, most frequent first (ties: A-Z)."""
        counts = Counter(t for tokens in token_lists for t in tokens)
        words = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
        return cls([PAD, UNK, *words])

    def extended(self, words: Iterable[str]) -> Vocabulary:
        """A copy with `words` appended (those not present yet, in the given order)."""
        return Vocabulary(self.itos + [w for w in dict.fromkeys(words) if w not in self.stoi])

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: list[str], max_len: int) -> np.ndarray:
        """Tokens -> [max_len] int32 ids, truncated or padded with PAD_ID; unknown words map to UNK_ID."""
        ids = np.full(max_len, PAD_ID, dtype=np.int32)
        for i, t in enumerate(tokens[:max_len]):
            ids[i] = self.stoi.get(t, UNK_ID)
        return ids

    def encode_many(self, token_lists: list[list[str]], max_len: int) -> np.ndarray:
        """[N] token lists -> [N, max_len] int32 ids."""
        out = np.full((len(token_lists), max_len), PAD_ID, dtype=np.int32)
        for n, tokens in enumerate(token_lists):
            out[n] = self.encode(tokens, max_len)
        return out
