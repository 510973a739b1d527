"""Seed summaries: mean ± sample std of the stage rows and the energy ratios, written as results.json / .md."""

import json

import pytest

from spiketext.runs.results import RunResult
from spiketext.runs.seeds import seed_config, summarize_seeds
from spiketext.settings.presets import build_run_config


def seed_result(test: float, dev: float, ratio: float, all_ops: float | None) -> dict:
    energy = {"ratio": ratio, "ratio_with_membrane": ratio + 0.1, "input_spikes_per_unit": 1.0}
    if all_ops is not None:
        energy |= {"ratio_all_ops": all_ops, "accounting": "reviewer", "ratio_memory_sram": {"32KB": 2 * all_ops}}
    return {
        "cnn": {"test_acc": test + 0.01, "dev_acc": dev},
        "snn_converted": {"test_acc": test - 0.02, "dev_acc": dev},
        "snn_finetuned": {"test_acc": test, "dev_acc": dev},
        "energy": energy,
        "data": {"name": "sst2"},
    }


def test_two_seeds_summarize_to_known_means_and_stds(tmp_path):
    cfg = build_run_config("quick", overrides={"data": {"dataset": "sst2"}, "seed": 4, "seeds": 2})
    assert seed_config(cfg, 1).seed == 5 and seed_config(cfg, 1).seeds == 1
    summary = summarize_seeds(cfg, tmp_path, [seed_result(0.70, 0.72, 0.2, 0.3), seed_result(0.80, 0.74, 0.4, 0.5)])
    r = RunResult.from_json(json.loads((tmp_path / "results.json").read_text()))
    assert r.to_json() == summary and r.seeds == (4, 5)
    ft = r.stage("snn_finetuned")
    # the sample std (ddof 1) of 0.70 and 0.80: 0.1 / √2
    assert (ft.test_acc, ft.test_std, ft.dev_acc, *ft.test_accs) == pytest.approx(
        (0.75, 0.1 / 2**0.5, 0.73, 0.70, 0.80)
    )
    assert r.energy is not None
    first = r.energy.first_accounting["ratio"]  # the seeds' legacy `ratio` is the first accounting's
    assert (first, r.energy.headline, r.energy.ratio_memory_sram["32KB"]) == pytest.approx((0.3, 0.4, 0.8))
    assert "mean over 2 seeds" in (r.energy.note or "")
    assert "sst2: results" in (tmp_path / "results.md").read_text()


def test_a_ratio_one_seed_lacks_is_left_out_not_averaged(tmp_path):
    cfg = build_run_config("quick", overrides={"data": {"dataset": "sst2"}, "seeds": 2})
    summarize_seeds(cfg, tmp_path, [seed_result(0.7, 0.7, 0.2, 0.3), seed_result(0.8, 0.7, 0.4, None)])
    r = RunResult.from_json(json.loads((tmp_path / "results.json").read_text()))
    assert r.energy is not None and r.energy.first_accounting["ratio"] == pytest.approx(0.3)
    assert r.energy.ratio_all_ops is None and not r.energy.ratio_memory_sram
