"""Sweeps: one shared CNN, the Pareto table, resumable points, and every grid point validated before any work."""

import json
import shutil

import pytest

from conftest import TINY
from spiketext.cli import main
from spiketext.errors import SpiketextError
from spiketext.runs.sweep import parse_grid


@pytest.mark.slow
def test_sweep_shares_the_cnn_and_writes_the_pareto_table(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "sweep"
    common = ["--train", str(data), "--embeddings", str(vectors), *TINY, "--set", "cnn.epochs=2"]
    common += ["--set", "finetune.epochs=1", "--out", str(out), "--in-process"]  # Ray: test_parallel.py
    grid = ["--grid", "snn.num_steps=4,8", "--grid", "snn.input_scale=1,0.5"]
    assert main(["sweep", *common, *grid]) == 0
    summary = json.loads((out / "sweep.json").read_text())
    assert len(summary["points"]) == 4 and 0 <= summary["cnn"]["test_acc"] <= 1
    assert {"config", "test_acc", "energy_ratio"} <= set(summary["points"][0])
    assert (out / "sweep.png").stat().st_size > 10_000 and "Pareto" in (out / "sweep.md").read_text()
    # one CNN for all points: the first point trained it, the others hold a byte-identical copy
    ckpts = sorted((out / "points").glob("*/checkpoints/cnn.safetensors"))
    assert len(ckpts) == 4 and len({c.read_bytes() for c in ckpts}) == 1
    stages = [json.loads(x)["stage"] for p in (out / "points").glob("*") for x in (p / "metrics.jsonl").open()]
    assert stages.count("cnn") == 2
    # energy follows the input: at the same T, α = 0.5 halves the input spike rate
    by = {(p["config"]["snn.num_steps"], p["config"]["snn.input_scale"]): p for p in summary["points"]}
    assert by[(8, 0.5)]["input_rate"] == pytest.approx(by[(8, 1)]["input_rate"] / 2, rel=0.1)
    assert by[(8, 0.5)]["energy_ratio"] < by[(8, 1)]["energy_ratio"]
    assert by[(4, 1)]["energy_ratio"] < by[(8, 1)]["energy_ratio"]
    # a later invocation with new points on the same OUT reuses the CNN already trained there
    assert main(["sweep", *common, "--grid", "snn.num_steps=6"]) == 0
    stages = [json.loads(x)["stage"] for p in (out / "points").glob("*") for x in (p / "metrics.jsonl").open()]
    assert stages.count("cnn") == 2 and len(list((out / "points").glob("*"))) == 5
    shutil.rmtree(out / "points" / "snn.num_steps=6")
    # rerunning is a no-op resume; no --grid only re-summarizes
    assert main(["sweep", *common, *grid]) == 0
    assert main(["sweep", *common]) == 0
    assert json.loads((out / "sweep.json").read_text())["points"] == summary["points"]
    capsys.readouterr()


@pytest.mark.parametrize(
    "items, message",
    [
        (["snn.num_steps"], "write it as key=v1,v2"),
        (["snn.num_steps=4,,8"], "write it as key=v1,v2"),
        (["=4,8"], "write it as key=v1,v2"),
        (["snn.num_steps=4", "snn.num_steps=8"], "given twice"),
        (["snn.num_steps=2,2"], "one value is given twice"),
        (["snn.threshold=1,0.5,1.0"], r"given twice \(as 1 and 1.0\)"),  # compared as values, not as text
    ],
)
def test_malformed_grids_are_refused(items, message):
    with pytest.raises(SpiketextError, match=message):
        parse_grid(items)


def test_every_point_is_validated_before_any_work(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "sweep"
    argv = ["sweep", "--train", str(data), "--embeddings", str(vectors), *TINY, "--out", str(out)]
    assert main([*argv, "--grid", "snn.num_steps=4,abc"]) == 2
    err = capsys.readouterr().err
    assert "sweep point snn.num_steps=abc" in err and "expected an integer" in err and err.count("\n") == 1
    assert not (out / "points").exists()  # nothing was trained
    assert main([*argv, "--grid", "snn.num_stepz=4"]) == 2
    assert "did you mean 'num_steps'" in capsys.readouterr().err


def test_seed_groups_average_the_points_that_differ_only_in_seed():
    from spiketext.runs.sweep import seed_groups, sweep_markdown
    from spiketext.viz import sweep_figure

    def point(seed, T, acc, ratio):
        cfg = {"seed": seed, "snn.num_steps": T}
        return {"config": cfg, "test_acc": acc, "cnn_test_acc": 0.8, "energy_ratio": ratio, "energy_ratio_int8": None}

    points = [point(0, 4, 0.70, 0.2), point(1, 4, 0.74, 0.22), point(0, 8, 0.71, 0.4), point(1, 8, 0.69, 0.42)]
    groups = seed_groups(points)
    assert [g["config"] for g in groups] == [{"snn.num_steps": 4}, {"snn.num_steps": 8}]
    assert groups[0]["n"] == 2 and groups[0]["seeds"] == [0, 1]
    # the sample std (ddof 1) of 0.70 and 0.74: 0.04 / √2
    assert groups[0]["test_acc"] == pytest.approx(0.72) and groups[0]["test_acc_std"] == pytest.approx(0.04 / 2**0.5)
    assert groups[0]["energy_ratio"] == pytest.approx(0.21) and "energy_ratio_int8" not in groups[0]
    assert [g["pareto"] for g in groups] == [True, False]  # T = 8 costs more and is no better on average
    summary = {
        "cnn": {"test_acc": 0.8},
        "points": [
            {**p, "pareto": False, "converted_test_acc": 0.7, "energy_ratio_with_membrane": 0.3, "input_rate": 0.1}
            for p in points
        ],
        "groups": groups,
    }
    text = sweep_markdown(summary)
    assert "Means ± sample std over seeds" in text and "| num_steps = 4 | 2 | 72.00 ± 2.83 |" in text
    sweep_figure(summary)
