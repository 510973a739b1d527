"""The whole method through the CLI on tiny data: run, stages, predict, evaluate, raster, resume after SIGKILL."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import TINY
from spiketext import api
from spiketext.cli import main
from spiketext.errors import SpiketextError
from spiketext.settings.presets import build_run_config


def run_tiny(data, vectors, out, *extra) -> int:
    """`spiketext run` on the tiny task with tiny settings and 2 CNN / 1 SNN epochs."""
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), *TINY]
    return main([*argv, "--set", "cnn.epochs=2", "--set", "finetune.epochs=1", *extra])


@pytest.mark.slow
def test_run_stages_predict_evaluate(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = [
        "run",
        "--train",
        str(data),
        "--embeddings",
        str(vectors),
        "--out",
        str(out),
        *TINY,
        "--set",
        "cnn.epochs=6",
        "--set",
        "finetune.epochs=2",
    ]
    assert main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    for key in ("cnn", "snn_converted", "snn_finetuned"):
        assert 0 <= results[key]["dev_acc"] <= 1 and 0 <= results[key]["test_acc"] <= 1
    assert results["cnn"]["test_acc"] >= 0.8  # the task is separable
    for name in (
        "config.json",
        "data.json",
        "metrics.jsonl",
        "results.md",
        "curves.png",
        "checkpoints/cnn.safetensors",
        "checkpoints/snn_converted.json",
        "checkpoints/snn_finetuned.json",
    ):
        assert (out / name).is_file(), name
    stages = [json.loads(x)["stage"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert stages.count("cnn") == 6 and stages.count("snn_finetune") == 2
    capsys.readouterr()

    # the same command again: everything is done, nothing is retrained, same numbers
    assert main(argv) == 0
    assert json.loads((out / "results.json").read_text())["snn_finetuned"] == results["snn_finetuned"]
    capsys.readouterr()

    raster = tmp_path / "raster.png"
    assert main(["predict", str(out), "a great good film", "zzz qqq", "--raster", str(raster), "--json"]) == 0
    preds = json.loads(capsys.readouterr().out)
    assert [set(p["spike_counts"]) for p in preds] == [{"neg", "pos"}] * 2  # unknown words still get an answer
    assert raster.stat().st_size > 10_000
    assert main(["predict", str(out), "--model", "cnn", "a great good film", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["label"] in ("neg", "pos")
    assert main(["predict", str(out), "   "]) == 2
    assert "empty" in capsys.readouterr().err

    assert main(["evaluate", str(out), "--model", "cnn", "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["acc"] == pytest.approx(results["cnn"]["test_acc"])  # predict's path = the training path
    assert main(["evaluate", str(out / "checkpoints" / "snn_finetuned.json"), "--repeats", "2", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["accs"]) == 2

    # energy: run wrote its summary and files; `spiketext energy` on the folder recounts the same spikes
    summary = results["energy"]
    first = summary["first_accounting"]
    assert summary["ratio_all_ops"] > 0 and first["ratio_with_membrane"] > first["ratio"] > 0
    assert all((out / f"energy.{ext}").is_file() for ext in ("json", "md", "png"))
    report_json = tmp_path / "energy.json"
    spikes_file = tmp_path / "spikes.safetensors"
    argv_energy = ["energy", str(out), "--json", str(report_json), "--out", str(tmp_path), "--save-spikes"]
    assert main([*argv_energy, str(spikes_file)]) == 0
    assert "E_SNN / E_CNN" in capsys.readouterr().out
    report = json.loads(report_json.read_text())
    assert report["ratio_all_ops"] == pytest.approx(summary["ratio_all_ops"])  # texts through the tokenizer = ids
    assert [layer["name"] for layer in report["snn"]["layers"]] == ["conv3", "conv4", "conv5", "pool", "fc"]
    assert {"name", "input_rate", "synaptic_ops"} <= set(report["snn"]["layers"][0])
    assert {"name", "input_rate", "macs"} <= set(report["cnn"]["layers"][0])
    per_sentence = report["reviewer"]["per_sentence_pj"]
    assert per_sentence["cnn"] > 0 and per_sentence["snn"] > 0
    # recount the first conv layer by hand from the saved spikes: Σ_l spikes(l) × F × windows(l)
    from safetensors.torch import load_file

    saved = load_file(str(spikes_file))
    x = saved["input"].double()  # [T, B, D, L]
    L, k, F = x.shape[-1], 3, 8
    by_hand = sum(float(x[..., p : p + k].sum()) for p in range(L - k + 1)) * F
    assert report["saved_spikes"]["layers"]["conv3"]["synaptic_ops"] == by_hand
    assert report["saved_spikes"]["layers"]["fc"]["synaptic_ops"] == float(saved["pool"].double().sum()) * 20

    # stages on their own, on the same folder
    assert main(["convert", str(out), "--normalization", "data_p999"]) == 0
    assert "snn_converted_data_norm_p999" in json.loads((out / "results.json").read_text())


def test_api_classify_matches_cli(tmp_path, tiny_task):
    data, vectors = tiny_task
    cfg = build_run_config(
        "quick",
        overrides={
            "data": {"train": str(data), "embeddings": str(vectors)},
            "snn": {"num_steps": 8},
            "model": {"num_filters": 8},
            "cnn": {"epochs": 3},
            "finetune": {"epochs": 1},
            "precision": "fp32",
        },
    )
    api.run(cfg, tmp_path / "r")
    model = api.load_model(tmp_path / "r")
    a = api.classify(model, ["good film", "awful plot"], seed=3)
    b = api.classify(model, ["good film", "awful plot"], seed=3)
    assert a == b and all("spike_counts" in x for x in a)
    with pytest.raises(SpiketextError, match="different settings"):
        api.run(
            build_run_config("quick", overrides={"data": {"train": str(data), "embeddings": str(vectors)}, "seed": 5}),
            tmp_path / "r",
        )


@pytest.mark.slow
def test_seeds_report_mean_and_std(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "multi"
    assert run_tiny(data, vectors, out, "--seeds", "2") == 0
    summary = json.loads((out / "results.json").read_text())
    assert summary["seeds"] == [0, 1] and len(summary["cnn"]["test_accs"]) == 2
    assert (out / "seed1" / "results.json").is_file()
    assert json.loads((out / "seed1" / "config.json").read_text())["seed"] == 1


def _metrics(out):
    path = out / "metrics.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.is_file() else []


@pytest.mark.slow
def test_resume_after_sigkill(tmp_path):
    from conftest import write_tiny_task

    data, vectors = write_tiny_task(tmp_path, n=800)
    args = [
        "--train",
        str(data),
        "--embeddings",
        str(vectors),
        *TINY,
        "--set",
        "cnn.epochs=8",
        "--set",
        "cnn.patience=null",
        "--set",
        "finetune.epochs=3",
        "--set",
        "cnn.lr=0.001",
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-m", "spiketext.cli", "run", *args]

    clean = tmp_path / "clean"  # the uninterrupted run, beside the killed one (2 cores)
    err = (tmp_path / "clean.err").open("w")  # a file, not a pipe nobody reads until the end
    reference = subprocess.Popen([*cmd, "--out", str(clean)], env=env, stdout=subprocess.DEVNULL, stderr=err)
    killed = tmp_path / "killed"
    proc = subprocess.Popen([*cmd, "--out", str(killed)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and len(_metrics(killed)) < 3 and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = len(_metrics(killed))
    assert 3 <= before < 11
    subprocess.run([*cmd, "--out", str(killed)], env=env, check=True, capture_output=True)
    assert reference.wait(timeout=300) == 0, (tmp_path / "clean.err").read_text()
    err.close()

    got = [(m["stage"], m["epoch"]) for m in _metrics(killed)]
    assert got == [("cnn", e) for e in range(1, 9)] + [("snn_finetune", e) for e in range(1, 4)]
    # resumed = uninterrupted: every epoch drew the same randomness
    strip = lambda ms: [{k: v for k, v in m.items() if k != "seconds"} for m in ms]  # noqa: E731
    assert strip(_metrics(killed)) == strip(_metrics(clean))
    r1, r2 = (json.loads((d / "results.json").read_text()) for d in (killed, clean))
    assert r1["snn_finetuned"]["test_acc"] == r2["snn_finetuned"]["test_acc"]
    assert not list(killed.rglob("*.tmp"))  # atomic writes leave no temporaries behind


@pytest.mark.slow
def test_baselines_add_every_row(tmp_path, tiny_task, capsys):
    from spiketext.runs.folder import RESULT_ROWS

    data, vectors = tiny_task
    out = tmp_path / "base"
    assert run_tiny(data, vectors, out, "--baselines") == 0
    results = json.loads((out / "results.json").read_text())
    rows = {k: v for k, v in RESULT_ROWS.items() if k != "snn_converted_qcfs"}  # that one needs a QCFS CNN
    assert set(rows) <= set(results)
    table = (out / "results.md").read_text()
    assert all(label in table for label in rows.values())


@pytest.mark.slow
def test_qcfs_recipe_end_to_end(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "qcfs"
    extra = ["--set", "model.activation=qcfs", "--set", "cnn.input_levels=T", "--set", "snn.init_membrane=0.5",
             "--set", "snn.encoder=regular", "--set", "snn.readout=membrane", "--set", "finetune.init=qcfs",
             "--set", "cnn.epochs=4"]  # fmt: skip
    assert run_tiny(data, vectors, out, *extra) == 0
    results = json.loads((out / "results.json").read_text())
    assert {"snn_converted_qcfs", "snn_finetuned"} <= set(results)
    assert "membrane readout" in results["snn_finetuned"]["note"]
    cnn_meta = json.loads((out / "checkpoints" / "cnn.json").read_text())
    assert cnn_meta["arch"]["activation"] == "qcfs" and cnn_meta["arch"]["levels"] == 8
    snn_meta = json.loads((out / "checkpoints" / "snn_finetuned.json").read_text())
    assert snn_meta["snn"]["init_membrane"] == 0.5 and snn_meta["snn"]["readout"] == "membrane"
    # fine-tuning is kept only if it beats the converted model on dev (epoch 0 of the selection)
    assert results["snn_finetuned"]["dev_acc"] >= results["snn_converted_qcfs"]["dev_acc"]
    assert main(["energy", str(out)]) == 0 and "E_SNN / E_CNN" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("code", ["regular", "ttfs"])
def test_efficient_preset_signed_input_end_to_end(tmp_path, tiny_task, capsys, code):
    # the efficient preset: QCFS CNN on signed inputs, the SNN sends ±1 spikes; saved models predict and recount
    data, vectors = tiny_task
    out = tmp_path / "eff"
    assert run_tiny(data, vectors, out, "--preset", "efficient", "--set", f"snn.encoder={code}") == 0
    results = json.loads((out / "results.json").read_text())
    assert {"snn_converted_qcfs", "snn_finetuned"} <= set(results)
    assert f"deterministic {code} code, signed input" in results["snn_finetuned"]["note"]
    assert len(results["snn_finetuned"]["test_accs"]) == 1  # a deterministic code is evaluated once
    meta = json.loads((out / "checkpoints" / "snn_finetuned.json").read_text())
    assert meta["arch"]["input_domain"] == "signed" and meta["snn"]["encoder"] == code
    capsys.readouterr()
    assert main(["evaluate", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["acc"] == pytest.approx(results["snn_finetuned"]["test_acc"])
    report_json = tmp_path / "energy.json"
    assert main(["energy", str(out), "--json", str(report_json)]) == 0
    report = json.loads(report_json.read_text())
    # one headline in every file: energy.json's top-level key, energy.md's bold ratio, results.json and results.md,
    # and the recount of the saved run
    headline = results["energy"]["ratio_all_ops"]
    run_report = json.loads((out / "energy.json").read_text())
    assert run_report["ratio_all_ops"] == headline == run_report["reviewer"]["ratio"]
    assert report["ratio_all_ops"] == pytest.approx(headline)
    assert (out / "energy.md").read_text().startswith(f"# Energy: E_SNN / E_CNN = **{headline:.3f}**")
    assert f"E_SNN / E_CNN = {headline:.3f} (every operation" in (out / "results.md").read_text()
    assert "ratio" not in run_report and "ratio" not in results["energy"]  # the first accounting only by name
    assert results["energy"]["first_accounting"]["ratio"] == pytest.approx(run_report["first_accounting"]["ratio"])
    assert report["encoding"]["domain"] == "signed" and report["first_accounting"]["ratio_memory_flat"] > 0
    assert set(report["reviewer"]["memory_horowitz"]) == {"8KB", "32KB", "1MB"}
    cnn_meta = json.loads((out / "checkpoints" / "cnn.json").read_text())
    assert cnn_meta["arch"]["input_levels"] == 8  # evaluated as trained: its input quantized to T = 8 levels
    first = report["snn"]["layers"][0]
    assert (first["current_acs"] > 0) == (code == "ttfs")
    assert code != "ttfs" or first["input_spikes_per_unit"] <= 1.0  # at most one spike per unit
    raster = tmp_path / "raster.png"
    assert main(["predict", str(out), "a great good film", "--raster", str(raster), "--json"]) == 0
    assert raster.stat().st_size > 10_000  # input panel with −1 spikes drawn in red


def test_record_test_adds_each_epochs_test_accuracy_without_selecting_on_it(tmp_path, tiny_task):
    data, vectors = tiny_task
    out = tmp_path / "rec"
    extra = ["--set", "cnn.record_test=true", "--set", "finetune.record_test=true", "--set", "finetune.epochs=2"]
    assert run_tiny(data, vectors, out, *extra) == 0
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows and all("test_acc" in r for r in rows if r["stage"] in ("cnn", "snn_finetune"))
    results = json.loads((out / "results.json").read_text())
    cnn_rows = [r for r in rows if r["stage"] == "cnn"]
    chosen = max(cnn_rows, key=lambda r: (r["dev_acc"], -r["epoch"]))  # dev selects (first best epoch)
    assert results["cnn"]["epoch"] == chosen["epoch"] and results["cnn"]["test_acc"] == pytest.approx(
        chosen["test_acc"]
    )


def test_finetuning_starts_from_the_conversion_best_on_dev(tmp_path, tiny_task):
    data, vectors = tiny_task
    out = tmp_path / "dev_start"
    assert run_tiny(data, vectors, out, "--set", "finetune.init=dev") == 0
    r = json.loads((out / "results.json").read_text())
    candidates = {"none": "snn_converted", "data_p999": "snn_converted_data_norm_p999",
                  "data_max": "snn_converted_data_norm_max", "model": "snn_converted_model_norm"}  # fmt: skip
    devs = {name: r[key]["dev_acc"] for name, key in candidates.items()}  # every candidate converted and scored
    best = max(devs.values())
    assert r["snn_finetuned"]["start"] == next(n for n, d in devs.items() if d == best)  # a tie: the earlier one
    assert "the best on dev" in r["snn_finetuned"]["note"]
    assert r["snn_finetuned"]["dev_acc"] >= best  # the start is epoch 0 of the selection


def test_qcfs_start_needs_a_qcfs_cnn_before_any_work():
    with pytest.raises(SpiketextError, match="finetune.init.*model.activation=qcfs"):
        build_run_config("quick", overrides={"data": {"dataset": "sst2"}, "finetune": {"init": "qcfs"}})
