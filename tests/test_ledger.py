"""The run ledger (spiketext.runs.ledger): a folder with progress refuses other settings or changed inputs, names the
stage to restart from, checks everything before it changes anything, and a restart discards exactly that stage and
the later ones, only once the new stage has written (undone on a failure or after a kill)."""

import hashlib
import json
from pathlib import Path

import pytest

from conftest import write_tiny_task
from spiketext.errors import SpiketextError
from spiketext.runs.folder import RunDir
from spiketext.runs.ledger import BACKUP, Restart, differing_settings, first_stage, flat_keys, open_run, started
from spiketext.settings.presets import build_run_config


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


def folder_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) -> its sha256: "byte for byte as it was"."""
    files = (p for p in folder.rglob("*") if p.is_file())
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _finished(tmp_path: Path) -> tuple[Path, Path, Path, RunDir]:
    data, vectors = write_tiny_task(tmp_path, n=40)
    out = tmp_path / "run"
    ctx = open_run(_config(data, vectors), out)
    _finish(ctx.run, "cnn", "snn_converted", "snn_converted_data_norm_p999", "snn_finetuned")
    (out / "state").mkdir()
    (out / "state" / "snn_finetune_last.json").write_text("{}")
    (out / "energy.md").write_text("energy")
    return data, vectors, out, ctx.run


@pytest.mark.parametrize(
    ("restart", "override", "needle"),
    [
        ("cnn", {"model.kernel_sizes": [30]}, "kernel"),  # refused after the data is read: too long a kernel
        ("convert", {"snn.num_steps": 100_000_000}, "snn.num_steps"),  # refused by the memory check
        ("not-a-stage", {}, "not a stage"),
        ("baselines", {}, "baselines = false"),  # nothing to start over: refused, never a silent deletion
    ],
)
def test_a_refused_restart_leaves_the_folder_byte_for_byte(tmp_path, restart, override, needle):
    data, vectors, out, _ = _finished(tmp_path)
    before = folder_digest(out)
    with pytest.raises(SpiketextError, match=needle):
        open_run(_config(data, vectors, **override), out, restart=restart)
    assert folder_digest(out) == before


def test_changed_data_with_a_restart_that_keeps_stages_is_refused_first(tmp_path):
    data, vectors, out, _ = _finished(tmp_path)
    data.write_text(data.read_text().replace("good", "nice"), encoding="utf-8")
    before = folder_digest(out)
    with pytest.raises(SpiketextError, match="other content of train"):
        open_run(_config(data, vectors, **{"finetune.lr": 0.5}), out, restart="finetune")
    assert folder_digest(out) == before
    # restarting the whole run is allowed on new data: nothing of the old run is kept
    open_run(_config(data, vectors), out, restart="cnn")


def test_a_restart_commits_on_the_first_write_and_rolls_back_before_it(tmp_path):
    data, vectors, out, _ = _finished(tmp_path)
    before = folder_digest(out)
    cfg = _config(data, vectors, **{"finetune.lr": 0.5})
    with pytest.raises(KeyboardInterrupt), started(open_run(cfg, out, restart="finetune")) as ctx:
        assert not (out / "checkpoints" / "snn_finetuned.json").exists() and (out / BACKUP).is_dir()
        assert set(json.loads((out / "results.json").read_text())) == {
            "cnn", "snn_converted", "snn_converted_data_norm_p999"
        }  # fmt: skip
        raise KeyboardInterrupt  # Ctrl-C before the new stage wrote anything
    assert folder_digest(out) == before and ctx.run.pending is None
    with started(open_run(cfg, out, restart="finetune")) as ctx:
        ctx.run.write_metrics("snn_finetune", [{"stage": "snn_finetune", "epoch": 1, "dev_acc": 0.6}])
        assert not (out / BACKUP).exists()  # the new stage wrote: the old one is gone for good
        raise_after = False
    assert not raise_after and json.loads((out / "config.json").read_text())["finetune"]["lr"] == 0.5
    # the normalized conversions belong to the convert stage: a fine-tuning restart keeps them
    assert (out / "checkpoints" / "snn_converted_data_norm_p999.json").is_file()


def test_a_restart_killed_before_the_new_stage_wrote_is_undone_when_reopened(tmp_path):
    data, vectors, out, run = _finished(tmp_path)
    before = folder_digest(out)
    Restart(run, "cnn").begin()  # then kill -9: the backup stays behind
    assert not (out / "config.json").exists() and (out / BACKUP).is_dir()
    open_run(_config(data, vectors), out)  # the folder's own settings again
    assert folder_digest(out) == before


def test_restarting_the_first_stage_empties_the_run(tmp_path):
    data, vectors, out, run = _finished(tmp_path)
    Restart(run, "cnn").begin()
    assert not (out / "results.json").exists() and not (out / "config.json").exists()
    assert not any((out / "checkpoints").glob("*.json")) and not any((out / "state").glob("*"))
