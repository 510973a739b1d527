"""Typed run results: every committed results.json loads, round-trips, and reads as attributes."""

import json
from pathlib import Path

import pytest

from spiketext.errors import SpiketextError
from spiketext.runs.results import AttackReport, EnergySummary, RunResult, StageResult

REPO = Path(__file__).resolve().parents[1]


def test_every_committed_results_file_loads_and_round_trips():
    files = sorted((REPO / "benchmarks" / "results").rglob("results.json"))
    assert len(files) > 50
    for path in files:
        d = json.loads(path.read_text())
        r = RunResult.from_json(d, str(path))
        assert RunResult.from_json(r.to_json(), str(path)) == r
        for key, row in d.items():
            if isinstance(row, dict) and "test_acc" in row:
                assert r.stage(key).test_acc == row["test_acc"] and r.stage(key).dev_acc == row.get("dev_acc")


def test_attributes_defaults_and_unknown_fields_kept():
    d = {
        "cnn": {"dev_acc": 0.8, "test_acc": 0.75, "epoch": 7},
        "snn_finetuned": {"dev_acc": 0.79, "test_acc": 0.74, "test_std": 0.01, "test_accs": [0.73, 0.75],
                          "start": "qcfs", "partial": True},
        "energy": {"ratio_all_ops": 0.2, "ratio_memory_sram": {"32KB": 0.9}, "first_accounting": {"ratio": 0.25},
                   "later_field": 1},
        "seed": 3,
        "data": {"name": "sst2"},
        "notes": ["a note"],
    }  # fmt: skip
    r = RunResult.from_json(d)
    ft = r.stage("snn_finetuned")
    assert (ft.test_std, ft.test_accs, ft.partial, ft.extra) == (0.01, (0.73, 0.75), True, {"start": "qcfs"})
    assert r.stage("cnn").test_std is None and "snn_converted" not in r and r.seed == 3
    assert r.extra == {"data": {"name": "sst2"}} and r.energy is not None
    e = r.energy
    assert (e.headline, e.first_accounting["ratio"], e.ratio_memory_sram["32KB"], e.extra, e.ratio_lut) == (
        0.2,
        0.25,
        0.9,
        {"later_field": 1},
        None,
    )
    assert r.to_json() == d
    with pytest.raises(SpiketextError, match="no snn_converted result"):
        r.stage("snn_converted")


def test_an_energy_summary_written_before_the_rename_is_read_with_its_first_accounting_labelled():
    # results.json's "energy" of the committed grid runs: `ratio` was the first accounting's
    old = {"ratio": 0.144, "ratio_with_membrane": 0.16, "ratio_memory": 0.79, "ratio_all_ops": 0.2,
           "cnn_nj_per_sentence": 5.0, "accounting": "reviewer", "ratio_memory_sram": {"32KB": 1.17}}  # fmt: skip
    e = EnergySummary.from_json(old, "x")
    assert e.headline == 0.2 and e.ratio_all_ops == 0.2 and e.cnn_nj_per_sentence is None  # the padded CNN's nJ
    assert e.first_accounting == {"ratio": 0.144, "ratio_with_membrane": 0.16, "ratio_memory_flat": 0.79}
    assert EnergySummary.from_json({"ratio": 0.3}, "x").headline == 0.3  # a run from before the reviewer's accounting
    with pytest.raises(SpiketextError, match="no ratio_all_ops"):
        EnergySummary.from_json({"costs": "fp32"}, "x")


def test_a_damaged_row_is_named():
    with pytest.raises(SpiketextError, match=r"x.json: cnn.test_acc is 'high', not a number"):
        RunResult.from_json({"cnn": {"test_acc": "high"}}, "x.json")
    with pytest.raises(SpiketextError, match="not a mapping"):
        StageResult.from_json([0.5], "x.json: cnn")
    with pytest.raises(SpiketextError, match="x.json: 'energy' has no ratio_all_ops"):
        RunResult.from_json({"cnn": {"test_acc": 0.5}, "energy": {"ratio_all_ops": "0.2"}}, "x.json")


def test_every_committed_attack_summary_loads_as_a_typed_report_and_round_trips():
    files = sorted((REPO / "benchmarks" / "results" / "robustness").glob("*/summary*.json"))
    assert len(files) >= 8
    for path in files:
        d = json.loads(path.read_text())
        r = AttackReport.from_json(d, str(path))
        assert r.to_json() == d
        assert r.summaries["cnn"].success_rate == d["cnn"]["success_rate"] and r.shared == d["example_set"]["common"]
        for key, c in r.comparisons.items():
            # the comparison's two rates are the CNN's and the victim's success on the shared examples
            assert c.n == r.shared and c.diff == c.rate_b - c.rate_a
            assert c.rate_b == r.summaries[key].success_rate and c.rate_a == r.summaries["cnn"].success_rate
    with pytest.raises(SpiketextError, match="x.json: not an attack report"):
        AttackReport.from_json({"attack": "pwws"}, "x.json")
