"""Stubs shared by the attack tests: a victim that reads one word, a small word space, a stubbed masked LM."""

from types import SimpleNamespace

import numpy as np

from spiketext.attacks import WordSpace


class StubVictim:
    """Positive iff the sentence holds the word "good"; queries are counted like a real victim's."""

    def __init__(self) -> None:
        self.queries = 0
        self.bundle = SimpleNamespace(featurizer=SimpleNamespace(max_len=50), kind="stub")
        self.kind, self.max_words = "stub", 50

    def probs(self, tokens):
        self.queries += len(tokens)
        s = np.array([0.9 if "good" in t else 0.1 for t in tokens])
        return np.stack([1 - s, s], axis=1)

    def input_rows(self, words):
        """A word's input row: its vector in the stub word space (zeros for a word outside it)."""
        ws = space()
        return np.stack([ws.unit[ws.index[w]] if w in ws.index else np.zeros(16, np.float32) for w in words])

    def gradient(self, tokens, label):
        """The loss of the positive class grows as "good" moves away from itself: -e(good) at its position."""
        self.queries += 1
        rows = self.input_rows(tokens)
        return np.where(np.array([t == "good" for t in tokens])[:, None], -rows, 0.0)


def space() -> WordSpace:
    rng = np.random.default_rng(0)
    words = ["good", "fine", "the", "film", "was", "really", "a", "story", "with", "actors", "and", "music", "plot"]
    vectors = rng.normal(size=(len(words), 16))
    vectors[1] = vectors[0] + 0.1 * rng.normal(size=16)  # "fine": the nearest neighbour of "good"
    return WordSpace(words, vectors.astype(np.float32), use_wordnet=False)


SENTENCE = "the film was a really good story with the actors and music and plot".split()  # noqa: SIM905


class StubMLM:
    """BERT-Attack's language model, stubbed: every word's substitutes are its embedding neighbours."""

    def __init__(self, ws: WordSpace) -> None:
        self.ws = ws

    def substitutes(self, tokens):
        return {i: self.ws.neighbours(w) for i, w in enumerate(tokens)}
