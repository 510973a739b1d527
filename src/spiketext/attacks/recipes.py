"""The attack recipes, one small object each, in the style of TextAttack's (searched by `search.attack_one`).

    textfooler   rank words by the drop of the true class's probability when the word is deleted; replace each
                 in turn by its nearest embedding neighbours (cosine ≥ 0.5, at most 15) and keep the best.
    pwws         rank words by softmax(saliency) × the best substitution's drop (saliency: the word replaced by
                 the unknown token); substitutes are WordNet synonyms where WordNet is installed (nltk and a
                 WordNet folder), embedding neighbours otherwise; the report says which.
    textbugger   deletion ranking; five bugs per word (insert a space, delete a letter, swap two neighbouring
                 letters, a look-alike character, the nearest embedding neighbour); keep the best.
    deepwordbug  ranking by replacing the word with the unknown token; one seeded random character edit per word
                 (swap, substitute, delete, insert), applied in order of importance.

A new recipe is one subclass of `Recipe` and one entry in `RECIPES`.
"""

from __future__ import annotations

import math

import numpy as np

from spiketext.attacks.words import WordSpace

UNK = "<unk>"
LOOKALIKE = {"o": "0", "l": "1", "i": "1", "a": "@", "e": "3", "s": "$", "t": "7", "b": "8", "g": "9"}


def replace(tokens: list[str], i: int, word: str) -> list[str]:
    return tokens[:i] + [word] + tokens[i + 1 :]


def char_bugs(word: str, rng: np.random.Generator) -> list[str]:
    """TextBugger's character bugs: insert a space, delete, swap neighbours, a look-alike character."""
    out = []
    if len(word) > 2:
        mid = int(rng.integers(1, len(word) - 1))
        out.append(word[:mid] + " " + word[mid:])
        out.append(word[:mid] + word[mid + 1 :])
        j = int(rng.integers(1, len(word) - 2)) if len(word) > 3 else 1
        out.append(word[:j] + word[j + 1] + word[j] + word[j + 2 :])
    look = [k for k, c in enumerate(word) if c.lower() in LOOKALIKE]
    if look:
        k = look[int(rng.integers(len(look)))]
        out.append(word[:k] + LOOKALIKE[word[k].lower()] + word[k + 1 :])
    return [w for w in dict.fromkeys(out) if w != word]


def random_char_edit(word: str, rng: np.random.Generator) -> str:
    """DeepWordBug: one of swap, substitute, delete, insert, at a random position (seeded)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    kind = int(rng.integers(4))
    k = int(rng.integers(len(word)))
    if kind == 0 and len(word) > 1:
        k = min(k, len(word) - 2)
        return word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    if kind == 1:
        return word[:k] + letters[int(rng.integers(26))] + word[k + 1 :]
    if kind == 2 and len(word) > 1:
        return word[:k] + word[k + 1 :]
    return word[:k] + letters[int(rng.integers(26))] + word[k:]


class Recipe:
    """How one attack ranks the words of a sentence and which substitutes it tries for each."""

    name = ""
    rank_by_deletion = True  # importance probe: delete the word (True) or replace it by the unknown token
    keep_every_step = False  # keep the best substitute at each word even if it does not lower the true class

    def __init__(self, space: WordSpace) -> None:
        self.space = space

    def probes(self, tokens: list[str], positions: list[int]) -> list[list[str]]:
        if self.rank_by_deletion:
            return [tokens[:i] + tokens[i + 1 :] for i in positions]
        return [replace(tokens, i, UNK) for i in positions]

    def scores(self, victim, tokens: list[str], positions: list[int], drop: np.ndarray, p0, label: int) -> np.ndarray:
        """Importance of each position, from the drop of the true class's probability under the probe."""
        return drop

    def candidates(self, tokens: list[str], i: int, rng: np.random.Generator) -> list[str]:
        raise NotImplementedError


class TextFooler(Recipe):
    name = "textfooler"

    def candidates(self, tokens, i, rng):
        return self.space.neighbours(tokens[i])


class PWWS(Recipe):
    name = "pwws"
    rank_by_deletion = False
    keep_every_step = True

    def scores(self, victim, tokens, positions, drop, p0, label):
        self.best_sub: dict[int, tuple[str, float]] = {}
        for i in positions:
            subs = self.space.synonyms(tokens[i])
            if subs:
                p = victim.probs([replace(tokens, i, s) for s in subs])[:, label]
                j = int(p.argmin())
                self.best_sub[i] = (subs[j], float(p0[label] - p[j]))
        sal = np.exp(drop - drop.max())
        sal /= sal.sum()
        return np.array([sal[k] * self.best_sub.get(i, ("", -math.inf))[1] for k, i in enumerate(positions)])

    def candidates(self, tokens, i, rng):
        return [self.best_sub[i][0]] if i in self.best_sub else []


class TextBugger(Recipe):
    name = "textbugger"

    def candidates(self, tokens, i, rng):
        return char_bugs(tokens[i], rng) + self.space.neighbours(tokens[i])[:1]


class DeepWordBug(Recipe):
    name = "deepwordbug"
    rank_by_deletion = False
    keep_every_step = True

    def candidates(self, tokens, i, rng):
        return [random_char_edit(tokens[i], rng)]


RECIPES: dict[str, type[Recipe]] = {r.name: r for r in (TextFooler, PWWS, TextBugger, DeepWordBug)}
