"""Jobs on Ray: the same run folders and summaries as in one process; a killed driver loses only what was in flight."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TINY
from spiketext.errors import SpiketextError
from spiketext.runs.parallel import Backend, Job, choose_backend, run_jobs

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'spiketext[ray]')")

TINY_BUDGET = [*TINY, "--set", "cnn.epochs=2", "--set", "finetune.epochs=1"]


def test_local_jobs_run_in_order_and_a_failure_propagates(tmp_path):
    f = tmp_path / "a.txt"
    jobs = [Job("write", Path.write_text, (f, "first")), Job("read", Path.read_text, (f,), after=("write",))]
    assert run_jobs(jobs, Backend("local")) == {"write": 5, "read": "first"}
    with pytest.raises(ValueError):
        run_jobs([Job("bad", int, ("x",))], Backend("local"))
    with pytest.raises(ValueError, match="not listed before it"):
        run_jobs([Job("read", Path.read_text, (f,), after=("write",))], Backend("local"))


def test_choose_backend_rules(monkeypatch):
    assert choose_backend(in_process=True).kind == "local"
    b = choose_backend(workers=2, cpus_per_task=1)
    assert (b.kind, b.workers) == ("ray", 2)
    assert choose_backend().kind == "ray"  # Ray installed: the default
    with pytest.raises(SpiketextError, match="--in-process"):
        choose_backend(workers=2, in_process=True)
    with pytest.raises(SpiketextError, match="--workers 0"):
        Backend("ray", workers=0)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert choose_backend().kind == "local"
    assert (choose_backend(workers=2).kind, choose_backend(workers=2).workers) == ("processes", 2)
    with pytest.raises(SpiketextError, match="pip install 'spiketext\\[ray\\]'"):
        choose_backend(address="auto")


@pytest.mark.slow
def test_process_jobs_wait_for_their_dependencies_and_skip_after_a_failure(tmp_path):
    f = tmp_path / "a.txt"
    jobs = [
        Job("write", Path.write_text, (f, "first")),
        Job("read", Path.read_text, (f,), after=("write",)),
        Job("bad", int, ("x",)),
        Job("after-bad", len, ("a",), after=("bad",)),
        Job("ok", len, ("abc",)),
    ]
    with pytest.raises(SpiketextError, match=r"2 of 5 jobs failed") as e:
        run_jobs(jobs, Backend("processes", workers=2))
    assert "after-bad" in str(e.value) and "invalid literal" in str(e.value)
    assert f.read_text() == "first"
    assert run_jobs(jobs[:2], Backend("processes", workers=2)) == {"write": 5, "read": "first"}


@pytest.mark.slow
def test_ray_jobs_wait_for_their_dependencies_and_failures_are_named(tmp_path, monkeypatch):
    f = tmp_path / "a.txt"
    monkeypatch.setenv("RAY_worker_niceness", "0")  # as run_jobs starts its own instance (see spiketext.runs.parallel)
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        jobs = [
            Job("write", Path.write_text, (f, "first")),
            Job("read", Path.read_text, (f,), after=("write",)),
            Job("sleep", time.sleep, (0.1,)),
        ]
        done = []
        results = run_jobs(jobs, Backend("ray", workers=2), lambda key, _: done.append(key))
        assert results == {"write": 5, "read": "first", "sleep": None} and sorted(done) == ["read", "sleep", "write"]
        jobs = [Job("ok", len, ("abc",)), Job("bad", int, ("x",)), Job("after-bad", len, ("a",), after=("bad",))]
        with pytest.raises(SpiketextError, match=r"2 of 3 jobs failed \(bad, after-bad\)|2 of 3 jobs failed"):
            run_jobs(jobs, Backend("ray", workers=2))
    finally:
        ray.shutdown()


def _sweep_argv(tiny_task, out: Path) -> list[str]:
    data, vectors = tiny_task
    grid = ["--grid", "snn.num_steps=4,6", "--grid", "snn.threshold=0.5,1"]
    return ["sweep", "--train", str(data), "--embeddings", str(vectors), *TINY_BUDGET, *grid, "--out", str(out)]


@pytest.mark.slow
def test_a_sweep_on_ray_equals_the_in_process_one_and_survives_a_killed_driver(tmp_path, tiny_task):
    """The issue's check: `sweep --workers 2` on a small grid gives the in-process sweep.json; killed mid-way
    (SIGKILL to the driver after its first point), the same command finishes it."""
    from spiketext.cli import main

    assert main([*_sweep_argv(tiny_task, tmp_path / "one"), "--in-process"]) == 0
    reference = json.loads((tmp_path / "one" / "sweep.json").read_text())
    out = tmp_path / "ray"
    argv = [sys.executable, "-m", "spiketext.cli", *_sweep_argv(tiny_task, out), "--workers", "2"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    err = (tmp_path / "ray.err").open("w")
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not list(out.glob("points/*/energy.json")) and proc.poll() is None:
        time.sleep(0.2)
    killed = proc.poll() is None
    with contextlib.suppress(ProcessLookupError):  # the group is gone if the sweep had already finished
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and the Ray processes it started
    proc.wait()
    err.close()
    # Ray's own token-authentication warning is silenced (a hostile-input case of issue 24)
    assert not [line for line in (tmp_path / "ray.err").read_text().splitlines() if "authentication" in line.lower()]
    finished = len(list(out.glob("points/*/energy.json")))
    assert finished >= 1
    if killed:
        assert finished < 4 or not (out / "sweep.json").exists()
    assert main([*_sweep_argv(tiny_task, out), "--workers", "2"]) == 0
    assert json.loads((out / "sweep.json").read_text()) == reference


def _tiny_builtin(tmp_path: Path) -> tuple[Path, Path]:
    """A data folder whose `sst2` holds a tiny task in SST-2's file format (only a warning: the sha256 differs)."""
    import random

    rnd = random.Random(0)
    pos, neg, fill = ["good", "great", "fine"], ["bad", "awful", "dull"], ["film", "the", "a", "plot"]
    folder = tmp_path / "data" / "sst2"
    folder.mkdir(parents=True)
    for split, n in (("train", 120), ("dev", 30), ("test", 30)):
        lines = []
        for i in range(n):
            label = i % 2
            words = rnd.sample(fill, 2) + rnd.sample(pos if label else neg, 2)
            rnd.shuffle(words)
            lines.append(f"{label} {' '.join(words)}")
        (folder / f"stsa.binary.{split}").write_text("\n".join(lines) + "\n")
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("".join(f"{w} " + " ".join(f"{(hash(w) >> s) % 7 / 7:.3f}" for s in range(8)) + "\n"
                               for w in pos + neg + fill))  # fmt: skip
    return tmp_path / "data", vectors


@pytest.mark.slow
def test_reproduce_on_ray_writes_the_method_table_and_resumes(tmp_path, capsys):
    from spiketext.cli import main

    data_dir, vectors = _tiny_builtin(tmp_path)
    out = tmp_path / "repro"
    argv = [
        "reproduce", "--datasets", "sst2", "--presets", "quick,paper", "--seeds", "2", "--data-dir", str(data_dir),
        "--set", f"data.embeddings={vectors}", *[a for a in TINY_BUDGET if a != "--precision" and a != "fp32"],
        "--set", "precision=fp32", "--out", str(out),
    ]  # fmt: skip
    assert main([*argv, "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert "quick: tailored CNN" in printed and "paper: SNN converted + fine-tuned" in printed
    table = json.loads((out / "method.json").read_text())["table"]
    assert set(table) == {"quick", "paper"} and table["quick"]["sst2"]["seeds"] == 2
    summary = json.loads((out / "quick_sst2" / "results.json").read_text())
    assert summary["seeds"] == [0, 1] and len(summary["snn_finetuned"]["test_accs"]) == 2
    assert (out / "method.png").stat().st_size > 10_000 and (out / "paper_sst2" / "seed1" / "results.json").is_file()
    # a rerun finds every run finished (nothing retrained: the checkpoints are untouched) and writes the same table
    mtime = (out / "paper_sst2" / "seed1" / "checkpoints" / "cnn.safetensors").stat().st_mtime
    assert main([*argv, "--in-process"]) == 0
    assert (out / "paper_sst2" / "seed1" / "checkpoints" / "cnn.safetensors").stat().st_mtime == mtime
    assert json.loads((out / "method.json").read_text())["table"] == table


@pytest.mark.slow
def test_reproduce_stacks_each_groups_seeds_into_one_job(tmp_path):
    from spiketext.cli import main

    data_dir, vectors = _tiny_builtin(tmp_path)
    argv = [
        "reproduce", "--datasets", "sst2", "--presets", "quick", "--seeds", "2", "--data-dir", str(data_dir),
        "--set", f"data.embeddings={vectors}", *[a for a in TINY_BUDGET if a != "--precision" and a != "fp32"],
        "--set", "precision=fp32", "--in-process",
    ]  # fmt: skip
    assert main([*argv, "--set", "stack_seeds=true", "--out", str(tmp_path / "stacked")]) == 0
    assert main([*argv, "--set", "stack_seeds=false", "--out", str(tmp_path / "single")]) == 0
    stacked, single = (json.loads((tmp_path / d / "method.json").read_text())["table"] for d in ("stacked", "single"))
    assert stacked == single  # the same seeds, the same numbers (tiny task: no spike sits on its threshold)
    assert json.loads((tmp_path / "stacked" / "quick_sst2" / "seed1" / "config.json").read_text())["stack_seeds"]
