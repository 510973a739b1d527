"""What an attack writes (spiketext.attacks.report): every example in the CSV with its status, the markdown with
each victim and comparison, and a finished attack never silently replaced."""

import csv
import json
from pathlib import Path

import pytest

from spiketext.attacks import AttackResult, summarize
from spiketext.attacks.report import attack_markdown, check_no_report, victim_text, write_report
from spiketext.errors import SpiketextError


def _result(index: int, success: bool, skipped: bool = False, search: bool | None = None) -> AttackResult:
    original = ["a", "truly", "good", "film"]
    perturbed = ["a", "truly", "decent", "film"] if success or search else original
    return AttackResult(
        index=index, label=1, original=original, perturbed=perturbed, original_pred=1,
        final_pred=0 if success else 1, skipped=skipped, success=success, queries=12,
        changed=[2] if success or search else [], similarity=0.91, search_success=search,
        clean_correct=0.0 if skipped else 1.0, adv_wrong=1.0 if success else 0.2,
    )  # fmt: skip


def _report() -> tuple[dict, list]:
    rows = [("cnn:cnn", _result(0, True)), ("cnn:cnn", _result(1, False)), ("cnn:cnn", _result(2, False, True))]
    rows += [("snn:snn_finetuned", _result(0, False, search=True)), ("snn:snn_finetuned", _result(1, False))]
    report = {"attack": "textfooler", "n": 3, "sample": "first", "seed": 0, "victims": ["cnn", "snn"],
              "constraints": "≤ 10% of words", "similarity": "word vectors"}  # fmt: skip
    cnn_victim = {"mode": "deterministic"}
    snn_victim = {"kind": "snn", "mode": "expected", "draws": 8, "eval_draws": 15, "recheck": True,
                  "confirm": "8 of 15 fresh draws"}  # fmt: skip
    for key, victim in (("cnn", cnn_victim), ("snn", snn_victim)):
        summary = summarize([r for m, r in rows if m.startswith(key)])
        report[key] = {**summary, "victim": victim, "checkpoint": key, "seconds": 1.0}
    report["comparisons"] = {"snn": {"n": 2, "rate_a": 0.5, "rate_b": 0.0, "diff": -0.5, "ci_low": -1.0,
                                     "ci_high": 0.0, "only_a": 1, "only_b": 0, "p_value": 1.0}}  # fmt: skip
    return report, rows


def test_the_summary_counts_over_attacked_examples():
    report, _ = _report()
    assert report["cnn"]["attacked"] == 2 and report["cnn"]["success_rate"] == 0.5
    assert report["cnn"]["clean_acc"] == pytest.approx(2 / 3) and report["cnn"]["attacked_acc"] == pytest.approx(1 / 3)
    # the SNN's search flipped one example the evaluation draws did not confirm: searched 50%, confirmed 0
    assert report["snn"]["search_success_rate"] == 0.5 and report["snn"]["success_rate"] == 0.0
    assert report["snn"]["confirmed"] == 0.0


def test_files_hold_every_example_and_a_finished_attack_is_not_replaced(tmp_path):
    report, rows = _report()
    files = write_report(report, rows, ["neg", "pos"], tmp_path)
    assert set(files) == {"json", "md", "csv", "png"}
    with open(files["csv"], encoding="utf-8") as f:
        lines = list(csv.DictReader(f))
    assert len(lines) == 5
    assert [x["status"] for x in lines[:3]] == ["success", "failed", "skipped (misclassified)"]
    assert lines[3]["status"] == "failed (flipped by the search, not by the evaluation draws)"
    assert lines[0]["changed_words"] == "good -> decent" and lines[0]["prediction"] == "neg"
    assert lines[0]["model"] == "cnn" and lines[3]["checkpoint"] == "snn_finetuned"
    assert json.loads(Path(files["json"]).read_text())["snn"]["confirmed"] == 0.0
    with pytest.raises(SpiketextError, match="holds a finished textfooler attack \\(3 examples\\).*--overwrite"):
        check_no_report(tmp_path, "textfooler")
    check_no_report(tmp_path, "pwws")  # another attack's files are not in the way


def test_the_markdown_names_each_victim_and_the_paired_comparison():
    report, _ = _report()
    text = attack_markdown(report)
    assert "| CNN | cnn | deterministic | 66.7 | 33.3 | 50.0 |" in text
    assert "expected over 8 fresh draws/query, flips asked again; judged on 15" in text
    assert "| snn | 2 | 50.0 | 0.0 | -50.0 | [-100.0, +0.0] | 1 | 0 | 1 |" in text
    noisy = {"kind": "cnn", "mode": "fixed", "seeds": [0, 1], "eval_draws": 3, "noise_steps": 50}
    assert victim_text(noisy) == "input noise of 50 Bernoulli steps; fixed, seeds [0, 1]; judged on 3"
