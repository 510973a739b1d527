"""Word-piece token ids for the transformer family: the tokenizer all-MiniLM-L6-v2 ships (`tokenizer.json`, read by
Hugging Face's `tokenizers`), and batches padded to their own longest sentence.

English text first goes back from the corpora's PTB style to plain text (`tokenize.detokenize_english`: `wo n't`
-> `won't`, `-lrb-` -> `(`), so the corpus line and the raw sentence a user types give the same pieces. Every
sentence becomes [CLS] pieces… [SEP], cut at `max_len` pieces (the [SEP] kept).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from spiketext.data.tokenize import detokenize_english
from spiketext.errors import SpiketextError


@dataclass(frozen=True)
class PieceIds:
    """A split as word-piece ids: `ids` [N, max_len] (0 = [PAD] after each sentence's end), `lengths` [N]."""

    ids: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)


class WordPieceTokenizer:
    """texts -> `PieceIds` with the tokenizer in `path` (a tokenizer.json)."""

    def __init__(self, path: Path, max_len: int = 128) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError as e:
            raise SpiketextError("the transformer family needs `tokenizers`: pip install -e '.[transformer]'") from e
        if max_len < 3:
            raise SpiketextError(f"transformer max_len {max_len}: at least 3 pieces ([CLS], one piece, [SEP])")
        self.path, self.max_len = Path(path), max_len
        self._tok = Tokenizer.from_file(str(self.path))
        self._tok.no_padding()
        self._tok.enable_truncation(max_len)
        self.unk_id = self._tok.token_to_id("[UNK]")

    def pieces(self, text: str) -> list[str]:
        return self._tok.encode(detokenize_english(text)).tokens

    def encode(self, texts: list[str]) -> PieceIds:
        encodings = self._tok.encode_batch([detokenize_english(t) for t in texts])
        ids = np.zeros((len(texts), self.max_len), dtype=np.int64)
        lengths = np.empty(len(texts), dtype=np.int64)
        for i, e in enumerate(encodings):
            ids[i, : len(e.ids)] = e.ids
            lengths[i] = len(e.ids)
        return PieceIds(ids, lengths)


def piece_batches(
    data: PieceIds,
    labels: np.ndarray,
    batch_size: int,
    generator: torch.Generator | None = None,
    window: int = 50,
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, np.ndarray]]:
    """(ids [B, n], mask [B, n], labels [B], the rows' indices) with n the batch's longest sentence.

    With a generator: shuffled, then sorted by length within windows of `window` batches and the batches
    shuffled again (similar lengths share a batch, so little is padding); without: in order of length (the
    predictions are put back in file order by the caller through the indices)."""
    n = len(data)
    if generator is None:
        order = np.argsort(data.lengths, kind="stable")
        batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    else:
        perm = torch.randperm(n, generator=generator).numpy()
        chunk = batch_size * window
        batches = []
        for start in range(0, n, chunk):
            part = perm[start : start + chunk]
            part = part[np.argsort(data.lengths[part], kind="stable")]
            batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
        batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
    for rows in batches:
        longest = int(data.lengths[rows].max())
        ids = torch.from_numpy(data.ids[rows, :longest])
        mask = (torch.arange(longest)[None] < torch.from_numpy(data.lengths[rows])[:, None]).long()
        yield ids, mask, torch.from_numpy(labels[rows]), rows
