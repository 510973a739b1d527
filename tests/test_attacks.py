"""Attacks: on a stub victim each attack flips a prediction that can be flipped and keeps its constraints; the
same seed gives the same adversarial examples; the metric arithmetic; the CLI end to end on a tiny run."""

import csv
import json
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import TINY
from spiketext.attacks import (
    ATTACKS,
    MIN_SIMILARITY,
    STOP_WORDS,
    AttackResult,
    WordSpace,
    run_attack,
    summarize,
)
from spiketext.cli import main


class StubVictim:
    """Positive iff the sentence holds the word "good"; queries are counted like a real victim's."""

    def __init__(self) -> None:
        self.queries = 0
        self.bundle = SimpleNamespace(encoder=SimpleNamespace(max_len=50))

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
    summary, results = run_attack(name, StubVictim(), ws, [(0, SENTENCE, 1), (1, ["the", "film"], 1)], seed=3)
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
    _, results = run_attack("textfooler", victim, space(), [(0, SENTENCE, 1)])
    assert not results[0].success and results[0].final_pred == 1
    assert all(SENTENCE[i].lower() not in STOP_WORDS for i in results[0].changed)


def test_same_seed_same_adversarial_examples():
    def perturbed(seed):
        _, res = run_attack("deepwordbug", StubVictim(), space(), [(i, SENTENCE, 1) for i in range(5)], seed=seed)
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
    assert "| SNN | fixed, seeds [0]" in capsys.readouterr().out
    r = json.loads(summary.read_text())
    for model in ("cnn", "snn"):
        assert {"clean_acc", "attacked_acc", "success_rate", "perturbed_words_pct", "mean_queries"} <= set(r[model])
    rows = list(csv.DictReader((out / "attacks" / "attack_textbugger.csv").open(encoding="utf-8")))
    assert len(rows) == 12 and {row["model"] for row in rows} == {"cnn", "snn"}
    assert (out / "attacks" / "attack_textbugger.png").is_file()
    # the same command again gives the same adversarial examples (a deterministic SNN victim)
    first = (out / "attacks" / "attack_textbugger.csv").read_text(encoding="utf-8")
    assert main(["attack", str(out), "--attack", "textbugger", "--n", "6"]) == 0
    assert (out / "attacks" / "attack_textbugger.csv").read_text(encoding="utf-8") == first
    capsys.readouterr()


def test_wordnet_synonyms_where_installed():
    from spiketext.attacks import _load_wordnet

    if _load_wordnet() is None:
        pytest.skip("WordNet not installed (pip install nltk; apt-get install wordnet-base): PWWS uses neighbours")
    ws = WordSpace(["boring", "dull", "tedious", "film"], np.eye(4, dtype=np.float32))
    assert ws.synonym_source == "wordnet" and {"dull", "tedious"} <= set(ws.synonyms("boring"))
