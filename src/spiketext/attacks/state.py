"""What a greedy search works with (`SearchState`) and the token helpers every search shares: the recipes
(`recipes`), the gradient attack (`gradient`) and the driver (`search`) all take one state per example."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from spiketext.attacks.similarity import MIN_SIMILARITY


def replace(tokens: list[str], i: int, word: str) -> list[str]:
    return tokens[:i] + [word] + tokens[i + 1 :]


def split_tokens(tokens: list[str]) -> list[str]:
    """A bug that inserts a space makes two tokens, as a tokenizer would."""
    return [piece for t in tokens for piece in t.split(" ")]


@dataclass
class SearchState:
    """What a search works with: the victim, the similarity constraint, the sentence and its label, the
    positions it may change, its word budget, the victim's clean probabilities p0 [C] and the example's rng."""

    victim: Any
    similarity: Any
    tokens: list[str]
    label: int
    positions: list[int]
    budget: int
    p0: np.ndarray
    rng: np.random.Generator

    def similar(self, trials: list[list[str]]) -> list[list[str]]:
        """The trials whose similarity to the original is at least 0.8."""
        if not trials:
            return []
        sims = self.similarity(self.tokens, [split_tokens(t) for t in trials])
        return [t for t, s in zip(trials, sims, strict=True) if s >= MIN_SIMILARITY]

    def probs(self, trials: list[list[str]]) -> np.ndarray:
        return self.victim.probs([split_tokens(t) for t in trials])

    def recheck(self, trials: list[list[str]], p: np.ndarray) -> np.ndarray:
        """A stochastic victim's flips asked again (fresh draws, counted as queries) and averaged with the first
        answer: with 8 draws a flip is noisy (a benchmark: about half are not flips by a 32-draw reference), and a
        search that stopped at each would give up at a false success. p [K, C] -> p [K, C]."""
        flip = np.flatnonzero(p.argmax(1) != self.label)
        if not getattr(self.victim, "stochastic", False) or flip.size == 0:
            return p
        p = p.copy()
        p[flip] = (p[flip] + self.probs([trials[k] for k in flip])) / 2
        return p

    @property
    def adaptive(self) -> bool:
        """The adaptive attacker (victim.confirm set): most damaging flips first, confirmed on fresh draws."""
        return getattr(self.victim, "confirm", None) is not None

    def most_similar(self, trials: list[list[str]]) -> int:
        sims = self.similarity(self.tokens, [split_tokens(t) for t in trials])
        return int(np.argmax(sims))

    def accept_flip(
        self, trials: list[list[str]], p: np.ndarray, changed: list[int]
    ) -> tuple[list[str], int, list[int], bool] | None:
        """A greedy search's success among `trials` (probabilities p [K, C]) as its return value, or None. The
        adaptive attacker takes the most damaging flips first, each only when fresh draws confirm it (none: the
        search goes on); otherwise the flip most similar to the original."""
        flipped = [k for k in range(len(trials)) if p[k].argmax() != self.label]
        if flipped and self.adaptive:
            for k in sorted(flipped, key=lambda k: p[k, self.label])[:3]:
                if self.victim.confirmed(split_tokens(trials[k]), self.label):
                    return trials[k], int(p[k].argmax()), changed, True
        elif flipped:
            k = flipped[self.most_similar([trials[k] for k in flipped])]
            return trials[k], int(p[k].argmax()), changed, True
        return None
