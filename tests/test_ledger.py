"""The run ledger (spiketext.ledger): a folder with progress refuses other settings or changed inputs, names the
stage to restart from, and `restart_from` discards exactly that stage and the later ones."""

import json

import pytest

from conftest import write_tiny_task
from spiketext.errors import SpiketextError
from spiketext.ledger import differing_settings, first_stage, flat_keys, open_run, restart_from
from spiketext.presets import build_run_config
from spiketext.runs import RunDir


def _config(data, vectors, **overrides):
    base = {"data": {"train": str(data), "embeddings": str(vectors)}, "model": {"num_filters": 4}, "device": "cpu"}
    for key, value in overrides.items():
        section, _, name = key.partition(".")
        base.setdefault(section, {})[name] = value
    return build_run_config("quick", overrides=base)


def _finish(run: RunDir, *keys: str) -> None:
    """Pretend stages finished: a result row and a checkpoint file per key."""
    run.checkpoints.mkdir(parents=True, exist_ok=True)
    for key in keys:
        run.update_results(key, {"dev_acc": 0.5, "test_acc": 0.5})
        for ext in (".json", ".safetensors"):
            (run.checkpoints / f"{key}{ext}").write_text("{}")


def test_settings_are_named_as_set_names_them_and_mapped_to_their_first_stage():
    assert flat_keys({"cnn": {"lr": 1, "epochs": 2}, "seed": 0}) == {"cnn.lr": 1, "cnn.epochs": 2, "seed": 0}
    assert differing_settings({"cnn": {"lr": 1}, "seed": 0}, {"cnn": {"lr": 2}, "seed": 0}) == ["cnn.lr"]
    assert first_stage(["finetune.lr"]) == "finetune"
    assert first_stage(["finetune.lr", "snn.num_steps"]) == "convert"  # the earliest wins
    assert first_stage(["data.max_len"]) == "cnn"  # a setting not listed shapes the whole run
    assert first_stage([]) == "baselines"


def test_a_folder_with_progress_refuses_other_settings_and_names_the_stage(tmp_path):
    data, vectors = write_tiny_task(tmp_path, n=40)
    out = tmp_path / "run"
    ctx = open_run(_config(data, vectors), out)
    assert {p.name for p in out.iterdir()} >= {"config.json", "inputs.json", "data.json"}
    # before any stage finishes the folder may be reused with other settings
    open_run(_config(data, vectors, **{"cnn.lr": 0.5}), out)
    open_run(_config(data, vectors), out)
    _finish(ctx.run, "cnn", "snn_converted", "snn_finetuned")
    with pytest.raises(SpiketextError, match=r"different settings \(snn.num_steps\).*--restart convert"):
        open_run(_config(data, vectors, **{"snn.num_steps": 7}), out)
    with pytest.raises(SpiketextError, match="shape the convert stage already; use --restart convert"):
        open_run(_config(data, vectors, **{"snn.num_steps": 7}), out, restart="finetune")
    # restarting from convert keeps the CNN and discards the SNN rows and checkpoints
    open_run(_config(data, vectors, **{"snn.num_steps": 7}), out, restart="convert")
    results = json.loads((out / "results.json").read_text())
    assert set(results) == {"cnn"} and (out / "checkpoints" / "cnn.json").is_file()
    assert not (out / "checkpoints" / "snn_finetuned.json").exists()
    assert json.loads((out / "config.json").read_text())["snn"]["num_steps"] == 7


def test_changed_input_content_and_a_damaged_folder_are_refused(tmp_path):
    data, vectors = write_tiny_task(tmp_path, n=40)
    out = tmp_path / "run"
    ctx = open_run(_config(data, vectors), out)
    _finish(ctx.run, "cnn")
    data.write_text(data.read_text().replace("good", "nice"), encoding="utf-8")
    with pytest.raises(SpiketextError, match="other content of"):
        open_run(_config(data, vectors), out)
    (out / "config.json").unlink()
    with pytest.raises(SpiketextError, match="holds results or checkpoints but no config.json"):
        open_run(_config(data, vectors), out)
    with pytest.raises(SpiketextError, match="not a stage"):
        restart_from(ctx.run, "train")


def test_restarting_the_first_stage_empties_the_run(tmp_path):
    data, vectors = write_tiny_task(tmp_path, n=40)
    out = tmp_path / "run"
    ctx = open_run(_config(data, vectors), out)
    _finish(ctx.run, "cnn", "snn_finetuned")
    restart_from(ctx.run, "cnn")
    assert json.loads((out / "results.json").read_text()) == {}
    assert not (out / "config.json").exists() and not (out / "checkpoints" / "cnn.json").exists()
