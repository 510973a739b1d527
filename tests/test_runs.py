"""The run folder: damaged metrics lines repaired from the resume state, damaged results/config named, model
lookup by name (unknown names and missing checkpoints refused, never silently replaced)."""

import json

import pytest
import torch

from spiketext.core.checkpoint import save_checkpoint
from spiketext.errors import SpiketextError
from spiketext.runs.folder import RunDir, find_run_config, resolve_model_path


def test_a_damaged_metrics_line_is_rebuilt_from_the_state(tmp_path, caplog):
    run = RunDir(tmp_path)
    history = [{"stage": "cnn", "epoch": e, "dev_acc": 0.5} for e in (1, 2)]
    save_checkpoint(run.state / "cnn_last", {"w": torch.zeros(1)}, {"history": history, "epoch": 1})
    run.write_metrics("cnn", history)
    text = (tmp_path / "metrics.jsonl").read_text()
    (tmp_path / "metrics.jsonl").write_text(text[:-9])  # the last write was cut off
    assert run.metrics() == history
    assert "rebuilt the file from the resume states" in caplog.text
    assert json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[-1]) == history[-1]


def test_damaged_results_and_config_are_named(tmp_path):
    (tmp_path / "results.json").write_text('{"cnn": {"dev_acc": 0.')
    with pytest.raises(SpiketextError, match=r"results.json: damaged .*delete it and run the same command again"):
        RunDir(tmp_path).results()
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(SpiketextError, match=r"config.json: damaged"):
        find_run_config(tmp_path)


def test_model_lookup_by_name(tmp_path):
    run = RunDir(tmp_path)
    save_checkpoint(run.checkpoint("cnn"), {"w": torch.zeros(1)}, {})
    save_checkpoint(run.checkpoint("snn_converted"), {"w": torch.zeros(1)}, {})
    assert resolve_model_path(tmp_path, "cnn") == run.checkpoint("cnn")
    with pytest.raises(SpiketextError, match=r"--model 'snn_finetunedd': not a checkpoint name; did you mean"):
        resolve_model_path(tmp_path, "snn_finetunedd")
    with pytest.raises(SpiketextError, match=r"has no snn_finetuned checkpoint yet \(it has: snn_converted, cnn\)"):
        resolve_model_path(tmp_path, "snn_finetuned")
    assert resolve_model_path(tmp_path, "snn_finetuned", fallback=True) == run.checkpoint("snn_converted")
    with pytest.raises(SpiketextError, match="no such run folder or checkpoint"):
        resolve_model_path(tmp_path / "nope")
