"""Word resources (spiketext.attacks.words): WordNet synonyms where installed, substitutes that share a part
of speech, synonyms ranked by similarity."""

from types import SimpleNamespace

import numpy as np
import pytest

from spiketext.attacks import WordSpace


@pytest.mark.slow
def test_wordnet_synonyms_where_installed():
    from spiketext.attacks.words import _load_wordnet

    if _load_wordnet() is None:
        pytest.skip("WordNet not installed (pip install nltk; apt-get install wordnet-base): PWWS uses neighbours")
    ws = WordSpace(["boring", "dull", "tedious", "film"], np.eye(4, dtype=np.float32))
    assert ws.synonym_source == "wordnet" and {"dull", "tedious"} <= set(ws.synonyms("boring"))


def test_substitutes_share_a_part_of_speech_and_synonyms_are_cut_by_similarity():
    """With WordNet (a stub here: no WordNet ships offline), an embedding neighbour of another part of speech is
    dropped, and synonyms are the closest 15 in the embedding space, not the first 15 alphabetically."""

    class Synset:
        def __init__(self, pos, lemmas):
            self._pos, self._lemmas = pos, lemmas

        def pos(self):
            return self._pos

        def lemmas(self):
            return [SimpleNamespace(name=lambda n=n: n) for n in self._lemmas]

    table = {"good": [Synset("a", ["good", "fine", "able"])], "fine": [Synset("s", ["fine"])],
             "goodness": [Synset("n", ["goodness"])], "able": [Synset("a", ["able"])]}  # fmt: skip
    words = ["good", "goodness", "fine", "able"]
    vectors = np.array([[1, 0], [0.99, 0.1], [0.9, 0.3], [0.5, 0.8]], dtype=np.float32)
    space = WordSpace(words, vectors, use_wordnet=False)
    assert space.neighbours("good") == ["goodness", "fine", "able"][: len(space.neighbours("good"))]
    space._wordnet = SimpleNamespace(synsets=lambda w: table.get(w, []))
    space._neighbours.clear()
    assert "goodness" not in space.neighbours("good") and "fine" in space.neighbours("good")  # noun dropped
    assert space.synonyms("good") == ["fine", "able"]  # by cosine to "good", not alphabetically
    assert "WordNet" in space.pos_check
