"""Attacks: on a stub victim each attack flips a prediction that can be flipped and keeps its constraints; the
same seed gives the same adversarial examples; the metric arithmetic; the CLI end to end on a tiny run."""

import csv
import json
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import TINY
from spiketext.attacks import ATTACKS, AttackResult, WordSpace, run_attack, summarize
from spiketext.attacks.search import MIN_SIMILARITY, word_budget
from spiketext.attacks.words import STOP_WORDS
from spiketext.cli import main


class StubVictim:
    """Positive iff the sentence holds the word "good"; queries are counted like a real victim's."""

    def __init__(self) -> None:
        self.queries = 0
        self.bundle = SimpleNamespace(featurizer=SimpleNamespace(max_len=50), kind="stub")

    def probs(self, tokens):
        self.queries += len(tokens)
        s = np.array([0.9 if "good" in t else 0.1 for t in tokens])
        return np.stack([1 - s, s], axis=1)


def space() -> WordSpace:
    rng = np.random.default_rng(0)
    words = ["good", "fine", "the", "film", "was", "really", "a", "story", "with", "actors", "and", "music", "plot"]
    vectors = rng.normal(size=(len(words), 16))
    vectors[1] = vectors[0] + 0.1 * rng.normal(size=16)  # "fine": the nearest neighbour of "good"
    return WordSpace(words, vectors.astype(np.float32), use_wordnet=False)


SENTENCE = "the film was a really good story with the actors and music and plot".split()  # noqa: SIM905


@pytest.mark.parametrize("name", ATTACKS)
def test_each_attack_flips_a_flippable_prediction_within_constraints(name):
    ws = space()
    results = run_attack(name, StubVictim(), ws, [(0, SENTENCE, 1), (1, ["the", "film"], 1)], seed=3)
    summary = summarize(results)
    r = results[0]
    assert r.success and r.final_pred == 0 and not r.skipped
    assert len(r.changed) <= max(1, int(0.1 * len(SENTENCE)))
    assert all(SENTENCE[i].lower() not in STOP_WORDS for i in r.changed)
    assert ws.similarity(SENTENCE, " ".join(r.perturbed).split()) >= MIN_SIMILARITY
    assert r.changed == [SENTENCE.index("good")]
    assert results[1].skipped and not results[1].success  # misclassified to begin with: not attacked
    assert summary["clean_acc"] == 0.5 and summary["attacked_acc"] == 0.0 and summary["success_rate"] == 1.0


def test_unflippable_sentence_fails_and_never_changes_stop_words():
    victim = StubVictim()
    victim.probs = lambda tokens: np.tile([0.2, 0.8], (len(tokens), 1))  # nothing changes the prediction
    results = run_attack("textfooler", victim, space(), [(0, SENTENCE, 1)])
    assert not results[0].success and results[0].final_pred == 1
    assert all(SENTENCE[i].lower() not in STOP_WORDS for i in results[0].changed)


def test_same_seed_same_adversarial_examples():
    def perturbed(seed):
        res = run_attack("deepwordbug", StubVictim(), space(), [(i, SENTENCE, 1) for i in range(5)], seed=seed)
        return [" ".join(r.perturbed) for r in res]

    assert perturbed(7) == perturbed(7)
    assert perturbed(7) != perturbed(8)


def test_metric_arithmetic():
    def res(skipped, success, changed, n_words, queries):
        words = ["w"] * n_words
        return AttackResult(0, 1, words, words, 1, 0 if success else 1, skipped, success, queries, changed, 0.9)

    results = [
        res(False, True, [0], 10, 20),  # 10% perturbed
        res(False, True, [0, 1], 10, 40),  # 20%
        res(False, False, [0], 10, 60),
        res(True, False, [], 10, 1),  # misclassified: not attacked
    ]
    s = summarize(results)
    assert s["clean_acc"] == 0.75 and s["attacked_acc"] == 0.25
    assert s["success_rate"] == pytest.approx(2 / 3)
    assert s["perturbed_words_pct"] == pytest.approx(15.0)
    assert s["mean_queries"] == pytest.approx(40.0)


def test_attack_cli_on_a_tiny_run(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), *TINY]
    assert main([*argv, "--set", "cnn.epochs=3", "--set", "finetune.epochs=1"]) == 0
    summary = tmp_path / "summary.json"
    assert main(["attack", str(out), "--attack", "textbugger", "--n", "6", "--json", str(summary)]) == 0
    assert "| SNN | snn_finetuned | fixed, seeds [0]" in capsys.readouterr().out
    r = json.loads(summary.read_text())
    for model in ("cnn", "snn"):
        assert {"clean_acc", "attacked_acc", "success_rate", "perturbed_words_pct", "mean_queries"} <= set(r[model])
    rows = list(csv.DictReader((out / "attacks" / "attack_textbugger.csv").open(encoding="utf-8")))
    assert len(rows) == 12 and {row["model"] for row in rows} == {"cnn", "snn"}
    assert {row["checkpoint"] for row in rows} == {"cnn", "snn_finetuned"}
    assert (out / "attacks" / "attack_textbugger.png").is_file()
    # the same command again gives the same adversarial examples (a deterministic SNN victim)
    first = (out / "attacks" / "attack_textbugger.csv").read_text(encoding="utf-8")
    assert main(["attack", str(out), "--attack", "textbugger", "--n", "6"]) == 0
    assert (out / "attacks" / "attack_textbugger.csv").read_text(encoding="utf-8") == first
    capsys.readouterr()


def test_wordnet_synonyms_where_installed():
    from spiketext.attacks.words import _load_wordnet

    if _load_wordnet() is None:
        pytest.skip("WordNet not installed (pip install nltk; apt-get install wordnet-base): PWWS uses neighbours")
    ws = WordSpace(["boring", "dull", "tedious", "film"], np.eye(4, dtype=np.float32))
    assert ws.synonym_source == "wordnet" and {"dull", "tedious"} <= set(ws.synonyms("boring"))


class TwoWordVictim(StubVictim):
    """Positive while "good" or "fine" is in the sentence: flipping it needs two substitutions."""

    def probs(self, tokens):
        self.queries += len(tokens)
        s = np.array([0.2 + 0.35 * ("good" in t) + 0.35 * ("fine" in t) for t in tokens])
        return np.stack([1 - s, s], axis=1)


def test_a_budget_above_one_word_is_used():
    long = "the good film was a really fine story with the actors and music and plot and the cast and the town too"
    long = long.split()
    assert word_budget(long) == 2
    ws = space()
    ws._neighbours = {"good": ["bad"], "fine": ["poor"]}  # substitutes that keep similarity but drop the score
    ws.similarity = lambda a, b: 1.0
    r = run_attack("textfooler", TwoWordVictim(), ws, [(0, long, 1)])[0]
    assert r.success and len(r.changed) == 2  # one word is not enough here; the second one flips it


def test_the_similarity_constraint_rejects_a_candidate():
    ws = space()
    ws.similarity = lambda a, b: 1.0 if a == b else 0.5  # every change falls below 0.8
    victim = StubVictim()
    r = run_attack("textfooler", victim, ws, [(0, SENTENCE, 1)])[0]
    assert not r.success and r.changed == [] and r.perturbed == SENTENCE
    ws.similarity = lambda a, b: 0.9  # the same candidates above 0.8: the attack succeeds
    assert run_attack("textfooler", StubVictim(), ws, [(0, SENTENCE, 1)])[0].success


def test_regular_code_snn_can_be_attacked(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), *TINY]
    argv += ["--set", "cnn.epochs=2", "--set", "finetune.epochs=1", "--set", "snn.encoder=regular"]
    assert main(argv) == 0
    assert main(["attack", str(out), "--attack", "textfooler", "--n", "5"]) == 0
    assert "| SNN | snn_finetuned | deterministic |" in capsys.readouterr().out
