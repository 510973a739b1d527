"""The attack recipes (spiketext.attacks.recipes): on a stub victim each attack flips a prediction that can be
flipped and keeps its constraints; the same seed gives the same adversarial examples; the metric arithmetic; PSO
and the TextAttack wrapper; the CLI end to end on tiny runs (Bernoulli, regular and efficient-preset SNNs)."""

import csv
import json

import numpy as np
import pytest

from attack_stubs import SENTENCE, StubMLM, StubVictim, space
from conftest import TINY, copy_run
from spiketext.attacks import ATTACKS, AttackResult, run_attack, summarize
from spiketext.attacks.search import MIN_SIMILARITY
from spiketext.attacks.words import STOP_WORDS
from spiketext.cli import main


@pytest.mark.parametrize("name", ATTACKS)
def test_each_attack_flips_a_flippable_prediction_within_constraints(name):
    ws = space()
    examples = [(0, SENTENCE, 1), (1, ["the", "film"], 1)]
    results = run_attack(name, StubVictim(), ws, examples, seed=3, mlm=StubMLM(ws))
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
    def res(skipped, success, changed, n_words, queries, searched=None, clean=1.0):
        words = ["w"] * n_words
        return AttackResult(
            0, 1, words, words, 1, 0 if success else 1, skipped, success, queries, changed, 0.9, searched, clean
        )

    results = [
        res(False, True, [0], 10, 20),  # 10% perturbed
        res(False, True, [0, 1], 10, 40),  # 20%
        res(False, False, [0], 10, 60),
        res(False, False, [0], 10, 60, searched=True),  # flipped by the search, not by the evaluation draws
        res(True, False, [], 10, 1, clean=0.0),  # misclassified: not attacked
    ]
    s = summarize(results)
    assert s["clean_acc"] == 0.8 and s["attacked_acc"] == 0.4
    assert s["success_rate"] == pytest.approx(2 / 4) and s["search_success_rate"] == pytest.approx(3 / 4)
    assert s["confirmed"] == pytest.approx(2 / 3)
    assert s["perturbed_words_pct"] == pytest.approx(15.0)
    assert s["mean_queries"] == pytest.approx(45.0)


@pytest.mark.slow
def test_attack_cli_on_a_tiny_run(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), *TINY]
    assert main([*argv, "--set", "cnn.epochs=3", "--set", "finetune.epochs=1"]) == 0
    summary = tmp_path / "summary.json"
    assert main(["attack", str(out), "--attack", "textbugger", "--n", "6", "--json", str(summary)]) == 0
    assert (
        "| SNN | snn_finetuned | expected over 20 fresh draws/query, flips asked again; judged on 15 |"
        in capsys.readouterr().out
    )
    r = json.loads(summary.read_text())
    for model in ("cnn", "snn"):
        assert {"clean_acc", "attacked_acc", "success_rate", "perturbed_words_pct", "mean_queries"} <= set(r[model])
    rows = list(csv.DictReader((out / "attacks" / "attack_textbugger.csv").open(encoding="utf-8")))
    # both victims attacked on the same examples: those both classify correctly
    common = r["example_set"]["common"]
    assert len(rows) == 2 * common and {row["model"] for row in rows} == {"cnn", "snn"}
    assert [x["index"] for x in rows if x["model"] == "cnn"] == [x["index"] for x in rows if x["model"] == "snn"]
    assert set(r["comparisons"]) == {"snn"} and r["comparisons"]["snn"]["n"] == common
    assert {row["checkpoint"] for row in rows} == {"cnn", "snn_finetuned"}
    assert (out / "attacks" / "attack_textbugger.png").is_file()
    # the same command again gives the same adversarial examples (the victim's fresh draws come from its seed)
    first = (out / "attacks" / "attack_textbugger.csv").read_text(encoding="utf-8")
    assert main(["attack", str(out), "--attack", "textbugger", "--n", "6", "--overwrite"]) == 0
    assert (out / "attacks" / "attack_textbugger.csv").read_text(encoding="utf-8") == first
    # every final sentence is judged: a success needs the evaluation draws, a search flag alone is not one
    assert all(row["status"] != "failed" or row["adv_wrong_draws"] != "" for row in rows)
    assert r["search"]["draws_per_query"] == 20 and "single_draw_success_rate" in r["snn"]
    # the white-box attacker: the gradient through the surrogate for the SNN, the same budget and judge
    assert main(["attack", str(out), "--attack", "gradient", "--n", "6", "--draws", "2", "--json", str(summary)]) == 0
    g = json.loads(summary.read_text())
    assert g["attack"] == "gradient" and g["snn"]["mean_queries"] > 0 and 0 <= g["snn"]["success_rate"] <= 1
    capsys.readouterr()


@pytest.mark.slow
def test_regular_code_snn_can_be_attacked(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), *TINY]
    argv += ["--set", "cnn.epochs=2", "--set", "finetune.epochs=1", "--set", "snn.encoder=regular"]
    assert main(argv) == 0
    assert main(["attack", str(out), "--attack", "textfooler", "--n", "5"]) == 0
    assert "| SNN | snn_finetuned | deterministic, regular input code |" in capsys.readouterr().out


def test_pso_on_a_tiny_run_and_the_textattack_wrapper(finished_run, tmp_path, capsys):
    from spiketext.api import textattack_wrapper

    run, _, _ = copy_run(finished_run, tmp_path)
    summary = tmp_path / "pso.json"
    argv = ["attack", str(run), "--attack", "pso", "--n", "3", "--draws", "2", "--eval-draws", "3"]
    assert main([*argv, "--similarity", "word-vectors", "--json", str(summary)]) == 0
    r = json.loads(summary.read_text())
    assert r["substitutes"] in ("wordnet", "embedding neighbours")
    assert r["snn"]["victim"]["mode"] == "expected" and "mean raw word vectors" in r["similarity"]
    capsys.readouterr()
    wrapper = textattack_wrapper(run, "snn_finetuned", draws=2)
    p = wrapper(["good film , great plot", "bad movie , dull plot"])
    assert p.shape == (2, 2) and np.allclose(p.sum(1), 1.0, atol=1e-5)
    try:
        from textattack.models.wrappers import ModelWrapper
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"TextAttack does not import here ({type(e).__name__}); the wrapper is a plain callable")
    assert isinstance(wrapper, ModelWrapper)


@pytest.mark.slow
def test_an_efficient_preset_run_can_be_attacked(tmp_path, tiny_task, capsys):
    """A QCFS CNN keeps its trained clipping level λ in its checkpoint: loading it as a bundle must accept it."""
    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), "--preset", "efficient"]
    argv += [*TINY, "--set", "cnn.epochs=2", "--set", "finetune.epochs=1"]
    assert main(argv) == 0
    assert main(["attack", str(out), "--attack", "deepwordbug", "--n", "4", "--similarity", "word-vectors"]) == 0
    assert "| SNN | snn_finetuned | deterministic, ttfs input code |" in capsys.readouterr().out
