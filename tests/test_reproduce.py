"""The method table from committed run folders: means over seeds recomputed here from each seed's own files."""

import json
from pathlib import Path

import numpy as np
import pytest

from spiketext.runs.reproduce import method_markdown, method_table

GRID = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "grid"


def test_the_method_table_is_the_mean_of_each_seeds_results():
    # every group, finished (its summary written) or still running (its finished seeds so far, nothing written)
    table = method_table(GRID)
    assert table["paper"]["sst2"]["seeds"] == 3
    for preset, rows in table.items():
        for dataset, row in rows.items():
            group = GRID / f"{preset}_{dataset}"
            summary = group / "results.json"
            if summary.is_file():
                seeds = [f"seed{s}" for s in json.loads(summary.read_text())["seeds"]]
            else:
                seeds = sorted(p.name for p in group.glob("seed*") if (p / "run.time").is_file())[:3]
            assert row["seeds"] == len(seeds) and row["running"] == (not summary.is_file()), (preset, dataset)
            results = [json.loads((group / s / "results.json").read_text()) for s in seeds]
            for key in ("cnn", "snn_finetuned"):
                tests = [100 * r[key]["test_acc"] for r in results]
                assert row[key] == pytest.approx(np.mean(tests)), (preset, dataset, key)
                if len(tests) > 1:  # "±" is the sample standard deviation over seeds (ddof 1)
                    assert row[f"{key}_std"] == pytest.approx(np.std(tests, ddof=1)), (preset, dataset, key)
            assert row["gap"] == pytest.approx(row["cnn"] - row["snn_finetuned"])
            assert row["energy_ratio"] == pytest.approx(np.mean([r["energy"]["ratio_all_ops"] for r in results]))
    text = method_markdown(table)
    assert f"{table['paper']['sst2']['snn_finetuned']:.2f}" in text
    assert "| SNN fine-tuned (paper, 300d) | 75.45 |" in text


def test_a_running_group_is_marked_with_its_seeds_so_far(tmp_path):
    src = GRID / "paper_sst2"
    group = tmp_path / "paper_sst2"
    for s in ("seed0", "seed1"):
        (group / s).mkdir(parents=True)
        for f in ("config.json", "results.json", "metrics.jsonl", "run.time"):
            (group / s / f).write_bytes((src / s / f).read_bytes())
    (group / "seed2").mkdir()  # started, not finished: no run.time
    row = method_table(tmp_path)["paper"]["sst2"]
    assert row["seeds"] == 2 and row["running"]
    assert "(2 of 3 seeds)" in method_markdown({"paper": {"sst2": row}})
    assert not (group / "results.json").exists()  # nothing written


def test_the_authors_protocol_rows_bound_the_dev_selected_ones_from_above():
    # the best test epoch is taken over a set that holds the dev-selected epoch, seed by seed, so its mean over
    # seeds can never fall below the selected one's; the epochs-run row names each data set's span
    table = method_table(GRID)
    rows = [(p, d, r) for p, group in table.items() for d, r in group.items() if r["snn_best_test_epoch"] is not None]
    for preset, dataset, r in rows:
        assert r["cnn_best_test_epoch"] >= r["cnn"] - 1e-9, (preset, dataset)
        assert r["snn_best_test_epoch"] >= r["snn_finetuned"] - 1e-9, (preset, dataset)
    if rows:
        assert "fine-tuning epochs run (of 30, stopped 5 epochs after dev's best)" in method_markdown(table)
