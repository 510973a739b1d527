"""Hostile-input cases: what a careless or hostile user does to spiketext, and what must happen instead.

Each case sets something up on tiny data, runs the CLI (in this process, or as a process where concurrency, a
kill or a hang is the point) and classifies the outcome:

    error      a clear one-line error (exit 2, no traceback) that names the true cause
    correct    exit 0 with the right result (checked)
    traceback  an exception escaped, or a traceback was printed
    silent     exit 0 with a wrong or stale result
    lost       a finished result was replaced or removed
    hang       the command (or what it left behind) did not end in time
    cause      a clear error that names the wrong cause

`tests/test_hostile.py` runs every case as a test; `python benchmarks/hostile.py` runs them all and prints the
counts per class (benchmarks/results/hostile.{json,md}). The cases are those of issue 24's review.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from conftest import TINY, copy_run, write_tiny_task  # noqa: E402

REPO = HERE.parent
# the spiketext under test (benchmarks/hostile.py --src runs the cases against another checkout)
SRC = Path(os.environ.get("HOSTILE_SRC") or REPO / "src")
sys.path.insert(0, str(SRC))
FAST = ["--set", "cnn.epochs=2", "--set", "finetune.epochs=1"]


@dataclass(frozen=True)
class Outcome:
    kind: str  # error | correct | traceback | silent | lost | hang | cause
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.kind in ("error", "correct")


@dataclass(frozen=True)
class Ran:
    rc: int | None  # None: an exception escaped main()
    err: str
    out: str = ""

    @property
    def traceback(self) -> bool:
        return self.rc is None or "Traceback (most recent call last)" in self.err


class Env:
    """A scratch folder with the tiny task, its vectors and one finished tiny run (made on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data, self.vectors = write_tiny_task(root)
        self._finished: Path | None = None
        os.environ.setdefault("SPIKETEXT_CACHE_DIR", str(root / "cache"))

    def finished(self) -> tuple[Path, Path, Path]:
        if self._finished is None:
            out = self.root / "finished"
            assert cli(["run", *self.source(), "--out", str(out), *TINY, *FAST]).rc == 0
            self._finished = out
        return self._finished, self.data, self.vectors

    def copy(self, name: str) -> tuple[Path, Path, Path]:
        """A private copy of the finished run (with its own data and vectors files)."""
        return copy_run(self.finished(), self.root / name)

    def source(self, data: Path | None = None, vectors: Path | None = None) -> list[str]:
        return ["--train", str(data or self.data), "--embeddings", str(vectors or self.vectors)]


def cli(argv: list[str]) -> Ran:
    """`spiketext ARGV` in this process: exit code and stderr; an exception escaping main() is a traceback."""
    from spiketext.cli import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse
            rc = e.code if isinstance(e.code, int) else 2
        except BaseException:  # noqa: BLE001 - exactly what the hostile cases look for
            return Ran(None, err.getvalue() + traceback.format_exc(), out.getvalue())
    return Ran(rc, err.getvalue(), out.getvalue())


def spawn(argv: list[str], pythonpath: str | None = None) -> subprocess.Popen:
    """`spiketext ARGV` as its own process (for concurrency, kills and hangs)."""
    env = {**os.environ, "PYTHONPATH": pythonpath or str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-m", "spiketext.cli", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def expect_error(r: Ran, *needles: str, wrong: str = "silent") -> Outcome:
    """A clear one-line error naming every needle; exit 0 is `wrong` (silent or lost)."""
    if r.traceback:
        return Outcome("traceback", r.err.strip().splitlines()[-1] if r.err.strip() else "exception")
    if r.rc == 0:
        return Outcome(wrong, "exit 0")
    lines = [x for x in r.err.splitlines() if x.startswith("spiketext: error:")]
    if len(lines) != 1:
        return Outcome("cause", f"{len(lines)} error lines: {r.err.strip()[-300:]}")
    missing = [n for n in needles if n not in lines[0]]
    return Outcome("cause", f"{lines[0]} (missing {missing})") if missing else Outcome("error", lines[0])


def expect_ok(r: Ran, check: Callable[[], str | None] = lambda: None, wrong: str = "silent") -> Outcome:
    """Exit 0, and `check()` finds nothing wrong (it returns what is wrong, or None)."""
    if r.traceback:
        return Outcome("traceback", r.err.strip().splitlines()[-1])
    if r.rc != 0:
        return Outcome("cause", f"exit {r.rc}: {r.err.strip()[-300:]}")
    problem = check()
    return Outcome(wrong, problem) if problem else Outcome("correct")


def unchanged(files: dict[Path, bytes]) -> str | None:
    for path, before in files.items():
        if not path.is_file() or path.read_bytes() != before:
            return f"{path.name} replaced or removed"
    return None


def snapshot(*paths: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in paths}


def restamp(meta_path: Path, change: Callable[[dict], object]) -> None:
    """Edit a checkpoint's JSON and give it a matching content digest (a consistent, still hostile, file)."""
    meta = json.loads(meta_path.read_text())
    change(meta)
    try:
        from spiketext.checkpoint import META_DIGEST, meta_digest
    except ImportError:  # a spiketext without content digests (benchmarks/hostile.py --src OLD)
        pass
    else:
        meta[META_DIGEST] = meta_digest(meta)
    meta_path.write_text(json.dumps(meta))


# --- the cases -------------------------------------------------------------------------------------------------


def cut_label_csv(env: Env, strict: bool) -> Outcome:
    """A CSV whose last row was cut mid-label: a class with one example."""
    data = env.root / f"cut{int(strict)}.csv"
    data.write_text(env.data.read_text().rstrip("\n") + "\ngood film the,po\n")
    out = env.root / f"cut{int(strict)}"
    r = cli(["run", *env.source(data), "--out", str(out), *TINY, *FAST, *(["--strict"] if strict else [])])
    if strict:
        return expect_error(r, "cut", "label 'po'", "line 202")

    def check() -> str | None:
        d = json.loads((out / "data.json").read_text())
        if "po" not in d.get("rare_classes", {}):
            return "the one-row class is not reported in data.json"
        if d["labels"][0]["label"] == "po":
            return "the one-row class is class 0, where tied outputs go"
        notes = json.loads((out / "results.json").read_text())["notes"]
        return None if any(n.startswith("RARE CLASS") for n in notes) else "no RARE CLASS note in results.json"

    return expect_ok(r, check)


def nan_label(env: Env) -> Outcome:
    data = env.root / "nan.jsonl"
    rows = [json.dumps({"text": f"good film {i}", "label": "pos" if i % 2 else "neg"}) for i in range(40)]
    rows[7] = '{"text": "a film", "label": NaN}'
    data.write_text("\n".join(rows) + "\n")
    return expect_error(cli(["data", "describe", "--train", str(data)]), "nan.jsonl", "line 8", "nan")


def killed_then_changed(env: Env, restart: bool) -> Outcome:
    """A run killed during the CNN (a resume state, no finished stage), rerun with another learning rate."""
    run, data, vectors = env.copy(f"killed{int(restart)}")
    shutil.rmtree(run / "checkpoints")
    (run / "results.json").unlink()
    for f in (run / "state").glob("snn_*"):
        f.unlink()
    argv = ["run", *env.source(data, vectors), "--out", str(run), *TINY, *FAST, "--set", "cnn.lr=0.02"]
    if not restart:
        return expect_error(cli(argv), "cnn.lr", "--restart cnn")

    def check() -> str | None:
        cfg = json.loads((run / "config.json").read_text())
        if cfg["cnn"]["lr"] != 0.02:
            return f"config.json says lr {cfg['cnn']['lr']}"
        epochs = [x["epoch"] for x in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())]
        return None if epochs.count(1) == 2 else f"the CNN did not start over (epochs {epochs})"  # CNN + SNN

    return expect_ok(cli([*argv, "--restart", "cnn"]), check)


def changed_finetune_restart(env: Env) -> Outcome:
    """A finished run whose fine-tuning setting changes: --restart finetune keeps the CNN, redoes the rest."""
    run, data, vectors = env.copy("ftrestart")
    cnn = snapshot(run / "checkpoints" / "cnn.safetensors", run / "checkpoints" / "snn_converted.safetensors")
    argv = ["run", *env.source(data, vectors), "--out", str(run), *TINY, *FAST, "--set", "finetune.lr=0.001"]

    def check() -> str | None:
        results = json.loads((run / "results.json").read_text())
        if json.loads((run / "config.json").read_text())["finetune"]["lr"] != 0.001:
            return "config.json not updated"
        return unchanged(cnn) or (None if "snn_finetuned" in results else "no fine-tuned result")

    return expect_ok(cli([*argv, "--restart", "finetune"]), check)


def two_writers(env: Env) -> Outcome:
    """Two runs with different settings on one --out at once: the second must not proceed."""
    (env.root / "big").mkdir(exist_ok=True)
    big, vectors = write_tiny_task(env.root / "big", n=20000)
    out = env.root / "twowriters"
    first = spawn(["run", "--train", str(big), "--embeddings", str(vectors), "--out", str(out), *TINY,
                   "--set", "cnn.epochs=500", "--set", "cnn.patience=null"])  # fmt: skip
    try:
        for _ in range(300):  # until the first holds the folder
            if (out / ".spiketext.lock").is_file() and (out / ".spiketext.lock").read_text().strip():
                break
            time.sleep(0.1)
        second = cli(["run", "--train", str(big), "--embeddings", str(vectors), "--out", str(out), *TINY, *FAST,
                      "--set", "snn.num_steps=4"])  # fmt: skip
        return expect_error(second, "another spiketext process", f"pid {first.pid}")
    finally:
        first.kill()
        first.wait()


def missing_record(env: Env, name: str) -> Outcome:
    run, data, vectors = env.copy(f"missing_{name.split('.')[0]}")
    (run / name).unlink()
    if name == "inputs.json":
        data.write_text("\n".join(data.read_text().splitlines()[:-20]) + "\n")  # and the data changed
    return expect_error(cli(["run", *env.source(data, vectors), "--out", str(run), *TINY, *FAST]), f"no {name}")


def evaluate_without_inputs(env: Env) -> Outcome:
    run, data, _ = env.copy("eval_noinputs")
    (run / "inputs.json").unlink()
    data.write_text("\n".join(data.read_text().splitlines()[:-20]) + "\n")
    return expect_error(cli(["evaluate", str(run)]), "no inputs.json")


def weights_digest_removed(env: Env) -> Outcome:
    """Weights overwritten with another run's, and weights_sha256 removed from the JSON."""
    run, _, _ = env.copy("nodigest")
    ckpt = run / "checkpoints"
    shutil.copy(ckpt / "snn_converted.safetensors", ckpt / "snn_finetuned.safetensors")
    meta = json.loads((ckpt / "snn_finetuned.json").read_text())
    meta.pop("weights_sha256")
    meta.pop("weights_bytes")
    (ckpt / "snn_finetuned.json").write_text(json.dumps(meta))
    return expect_error(cli(["evaluate", str(run)]), "snn_finetuned.json", "changed after it was written")


def vocabulary_edited(env: Env) -> Outcome:
    run, _, _ = env.copy("vocab")
    path = run / "checkpoints" / "snn_finetuned.json"
    meta = json.loads(path.read_text())
    meta["data"]["vocab"][2], meta["data"]["vocab"][3] = meta["data"]["vocab"][3], meta["data"]["vocab"][2]
    path.write_text(json.dumps(meta))
    return expect_error(cli(["predict", str(run), "good film"]), "changed after it was written")


def sweep_folder(env: Env) -> Path:
    out = env.root / "sweep"
    if not (out / "sweep.json").is_file():
        r = cli(
            ["sweep", *env.source(), "--out", str(out), *TINY, *FAST, "--grid", "snn.num_steps=4,8", "--in-process"]
        )
        assert r.rc == 0, r.err
    return out


def sweep_point_damaged(env: Env, name: str) -> Outcome:
    src = sweep_folder(env)
    out = env.root / f"sweep_{name.split('.')[0]}"
    shutil.copytree(src, out)
    point = sorted((out / "points").iterdir())[-1]
    (point / name).unlink()
    before = snapshot(out / "sweep.json")
    r = cli(["sweep", "--out", str(out), "--train", str(env.data)])
    outcome = expect_error(r, point.name, "unfinished or damaged")
    if outcome.ok and unchanged(before):
        return Outcome("lost", "sweep.json rewritten without the damaged point")
    return outcome


def reproduce_empty(env: Env, option: str, value: str) -> Outcome:
    r = cli(["reproduce", "--out", str(env.root / "repro"), option, value, "--in-process"])
    return expect_error(r, option)


def attack_twice(env: Env) -> Outcome:
    run, _, _ = env.copy("attack")
    args = ["attack", str(run), "--attack", "deepwordbug", "--draws", "2", "--eval-draws", "3"]
    assert cli([*args, "--n", "6"]).rc == 0
    before = snapshot(*(run / "attacks" / f"attack_deepwordbug.{e}" for e in ("json", "csv")))
    outcome = expect_error(cli([*args, "--n", "3"]), "finished deepwordbug attack", "--overwrite", wrong="lost")
    lost = unchanged(before)
    return Outcome("lost", lost) if lost else outcome


def seeds_into_single(env: Env) -> Outcome:
    run, data, vectors = env.copy("seeds_into_single")
    before = snapshot(run / "results.json", run / "config.json")
    r = cli(["run", *env.source(data, vectors), "--out", str(run), *TINY, *FAST, "--seeds", "2"])
    outcome = expect_error(r, "single-seed run", wrong="lost")
    lost = unchanged(before)
    return Outcome("lost", lost) if lost else outcome


def single_into_seeds(env: Env) -> Outcome:
    out = env.root / "two_seeds"
    assert cli(["run", *env.source(), "--out", str(out), *TINY, *FAST, "--seeds", "2"]).rc == 0
    before = snapshot(out / "results.json", out / "config.json")
    r = cli(["run", *env.source(), "--out", str(out), *TINY, *FAST])
    outcome = expect_error(r, "several seeds", wrong="lost")
    lost = unchanged(before)
    return Outcome("lost", lost) if lost else outcome


def killed_sweep_driver(env: Env, backend: str) -> Outcome:
    """kill -9 of a sweep driver with 2 workers: nothing it started may outlive it."""
    (env.root / f"big_{backend}").mkdir(exist_ok=True)
    big, vectors = write_tiny_task(env.root / f"big_{backend}", n=20000)
    argv = ["sweep", "--train", str(big), "--embeddings", str(vectors), "--out", str(env.root / f"ksweep_{backend}"),
            *TINY, "--set", "cnn.epochs=500", "--set", "cnn.patience=null", "--grid", "snn.num_steps=4,8",
            "--grid", "cnn.lr=0.01,0.02", "--workers", "2"]  # fmt: skip
    pythonpath = None
    if backend == "processes":  # Ray hidden: the processes backend
        hide = env.root / "no_ray"
        hide.mkdir(exist_ok=True)
        (hide / "ray.py").write_text("raise ImportError('hidden for this case')\n")
        pythonpath = str(hide) + os.pathsep + str(SRC)
    proc = spawn(argv, pythonpath)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not _descendants(proc.pid, "_call" if backend == "ray" else "spawn_main"):
            time.sleep(0.5)
        started = _descendants(proc.pid)
        if not started:
            return Outcome("cause", f"no workers started: {proc.stderr.read()[-300:] if proc.poll() else ''}")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    for _ in range(40):  # 20 s
        alive = [p for p in started if _alive(p)]
        if not alive:
            return Outcome("correct", f"{len(started)} processes ended with their driver")
        time.sleep(0.5)
    for pid, _ in alive:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return Outcome("hang", f"{len(alive)} of {len(started)} processes outlived the driver by 20 s")


def _proc_stat(pid: int) -> tuple[int, str] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), fields[19]


def _descendants(root: int, needle: str = "") -> list[tuple[int, str]]:
    """(pid, start time) of every process below `root` (whose command line holds `needle`)."""
    table = {}
    for entry in Path("/proc").glob("[0-9]*"):
        stat = _proc_stat(int(entry.name))
        if stat:
            table[int(entry.name)] = stat
    below, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, (pp, _) in table.items() if pp == parent]
        below += kids
        frontier += kids
    if needle:
        cmd = {
            p: Path(f"/proc/{p}/cmdline").read_bytes() if Path(f"/proc/{p}/cmdline").exists() else b"" for p in below
        }
        if not any(needle.encode() in c for c in cmd.values()):
            return []
    return [(p, table[p][1]) for p in below]


def _alive(proc: tuple[int, str]) -> bool:
    stat = _proc_stat(proc[0])
    return stat is not None and stat[1] == proc[1] and "Z" not in Path(f"/proc/{proc[0]}/stat").read_text()[:80]


def bench_json_folder(env: Env) -> Outcome:
    t0 = time.perf_counter()
    outcome = expect_error(cli(["bench", "--json", str(env.root)]), "is a folder")
    if outcome.ok and time.perf_counter() - t0 > 10:
        return Outcome("hang", f"the path was checked after {time.perf_counter() - t0:.0f} s of work")
    return outcome


def setting_error(env: Env, setting: str, *needles: str) -> Outcome:
    out = env.root / f"set_{setting.split('=')[0].replace('.', '_')}"
    r = cli(["run", *env.source(), "--out", str(out), *TINY, *FAST, "--set", setting])
    outcome = expect_error(r, *needles)
    if outcome.ok and (out / "checkpoints").exists():
        return Outcome("cause", "refused only after a stage had run")
    return outcome


def checkpoint_huge_steps(env: Env, verb: str) -> Outcome:
    run, _, _ = env.copy(f"huge_T_{verb}")
    restamp(run / "checkpoints" / "snn_finetuned.json", lambda m: m["snn"].update(num_steps=10**12))
    argv = {
        "predict": ["predict", str(run), "good film"],
        "evaluate": ["evaluate", str(run)],
        "export-nir": ["export-nir", str(run), str(env.root / f"huge_{verb}.nir")],
    }[verb]
    return expect_error(cli(argv), "the checkpoint's own T = 1,000,000,000,000")


def nir_missing(env: Env) -> Outcome:
    run, _, _ = env.copy("nir_missing")
    saved = {k: sys.modules.get(k) for k in ("nir", "nirtorch")}
    sys.modules["nir"] = None  # type: ignore[assignment]  # import nir now raises ImportError
    try:
        return expect_error(cli(["export-nir", str(run), str(env.root / "m.nir")]), "pip install")
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def disk_full(env: Env) -> Outcome:
    """A safetensors write on a full disk (a 64 KB tmpfs; needs root to mount, else the case is skipped)."""
    import torch

    from spiketext.checkpoint import save_checkpoint
    from spiketext.errors import SpiketextError

    mnt = env.root / "full"
    mnt.mkdir(exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True).returncode:
        return Outcome("correct", "skipped: cannot mount a small file system here")
    try:
        save_checkpoint(mnt / "m", {"w": torch.zeros(1 << 16)}, {"kind": "test"})
    except SpiketextError as e:
        if "disk is full" in str(e):
            left = [p.name for p in mnt.iterdir()]
            return Outcome("error", str(e)) if not left else Outcome("lost", f"temporary files left: {left}")
        return Outcome("cause", str(e))
    except Exception as e:  # noqa: BLE001
        return Outcome("traceback", f"{type(e).__name__}: {e}")
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
    return Outcome("silent", "the write succeeded on a full disk")


def results_wrong_type(env: Env, change: Callable[[dict], object], needle: str) -> Outcome:
    run, data, vectors = env.copy(f"results_{needle.replace('.', '_')}")
    results = json.loads((run / "results.json").read_text())
    change(results)
    (run / "results.json").write_text(json.dumps(results))
    return expect_error(cli(["run", *env.source(data, vectors), "--out", str(run), *TINY, *FAST]), needle)


def duplicate_grid(env: Env) -> Outcome:
    r = cli(["sweep", *env.source(), "--out", str(env.root / "dup"), *TINY, "--grid", "snn.num_steps=2,2"])
    return expect_error(r, "given twice")


def reproduce_duplicate(env: Env, option: str, value: str) -> Outcome:
    return expect_error(cli(["reproduce", "--out", str(env.root / "repro2"), option, value, "--in-process"]), "twice")


def cpus_nan(env: Env) -> Outcome:
    r = cli(["sweep", *env.source(), "--out", str(env.root / "nan"), "--grid", "snn.num_steps=2", "--cpus-per-task",
             "nan"])  # fmt: skip
    return expect_error(r, "--cpus-per-task nan")


def convert_qcfs_on_relu(env: Env) -> Outcome:
    run, _, _ = env.copy("qcfs")
    return expect_error(cli(["convert", str(run), "--normalization", "qcfs"]), "QCFS activation", "relu")


def nan_vectors(env: Env) -> Outcome:
    vectors = env.root / "nan_vectors.txt"
    lines = env.vectors.read_text().splitlines()
    word = lines[3].split()[0]
    lines[3] = word + " nan" + " 0.5" * 7
    vectors.write_text("\n".join(lines) + "\n")
    r = cli(["run", *env.source(vectors=vectors), "--out", str(env.root / "nanvec"), *TINY, *FAST])
    return expect_error(r, "nan_vectors.txt", "line 4", "NaN")


def missing_cnn_folder(env: Env) -> Outcome:
    r = cli(["sweep", *env.source(), "--out", str(env.root / "nocnn"), "--grid", "snn.num_steps=2", "--cnn",
             str(env.root / "no_such_run"), "--in-process"])  # fmt: skip
    return expect_error(r, "no_such_run", "not a run folder")


def file_modes(env: Env) -> Outcome:
    run, _, _ = env.finished()
    old = os.umask(0o022)
    os.umask(old)
    want = 0o666 & ~old
    bad = [p.name for p in run.rglob("*") if p.is_file() and p.stat().st_mode & 0o777 != want]
    return Outcome("silent", f"not {oct(want)}: {bad[:4]}") if bad else Outcome("correct", f"every file {oct(want)}")


@dataclass(frozen=True)
class Case:
    name: str
    group: str  # the review's class: silent | lost | hang | traceback | cause | mode
    run: Callable[[Env], Outcome]
    slow: bool = False  # seconds beyond the rest: a Ray instance or a 20 000-row task


CASES = [
    Case("csv label cut in the last row", "silent", lambda e: cut_label_csv(e, False)),
    Case("csv label cut, --strict", "silent", lambda e: cut_label_csv(e, True)),
    Case("jsonl label NaN", "silent", nan_label),
    Case("killed during the CNN, rerun with another lr", "silent", lambda e: killed_then_changed(e, False)),
    Case("killed during the CNN, another lr, --restart cnn", "silent", lambda e: killed_then_changed(e, True)),
    Case("finished run, another finetune.lr, --restart finetune", "silent", changed_finetune_restart),
    Case("two runs on one --out at once", "silent", two_writers),
    Case("run folder without config.json", "silent", lambda e: missing_record(e, "config.json")),
    Case("run folder without inputs.json, data changed", "silent", lambda e: missing_record(e, "inputs.json")),
    Case("evaluate without inputs.json, data changed", "silent", evaluate_without_inputs),
    Case("weights overwritten, weights_sha256 removed", "silent", weights_digest_removed),
    Case("checkpoint vocabulary edited", "silent", vocabulary_edited),
    Case("sweep summary, a point without results.json", "silent", lambda e: sweep_point_damaged(e, "results.json")),
    Case("sweep summary, a point without point.json", "silent", lambda e: sweep_point_damaged(e, "point.json")),
    Case("reproduce --datasets ''", "silent", lambda e: reproduce_empty(e, "--datasets", "")),
    Case("reproduce --presets ''", "silent", lambda e: reproduce_empty(e, "--presets", "")),
    Case("attack into a folder with a finished attack", "lost", attack_twice),
    Case("run --seeds 2 into a single-seed folder", "lost", seeds_into_single),
    Case("single-seed run into a --seeds 2 folder", "lost", single_into_seeds),
    Case("kill -9 of a sweep driver, 2 worker processes", "hang", lambda e: killed_sweep_driver(e, "processes")),
    Case("kill -9 of a sweep driver, 2 Ray workers", "hang", lambda e: killed_sweep_driver(e, "ray"), slow=True),
    Case("bench --json FOLDER", "hang", bench_json_folder),
    Case("negative cnn.weight_decay", "traceback", lambda e: setting_error(e, "cnn.weight_decay=-1", "weight_decay")),
    Case(
        "negative finetune.weight_decay",
        "traceback",
        lambda e: setting_error(e, "finetune.weight_decay=-0.1", "finetune.weight_decay"),
    ),
    Case(
        "model.neurons_per_class=1000000000",
        "traceback",
        lambda e: setting_error(e, "model.neurons_per_class=1000000000", "neurons_per_class = 1,000,000,000"),
    ),
    Case("checkpoint T = 10^12: predict", "traceback", lambda e: checkpoint_huge_steps(e, "predict")),
    Case("checkpoint T = 10^12: evaluate", "traceback", lambda e: checkpoint_huge_steps(e, "evaluate")),
    Case("checkpoint T = 10^12: export-nir", "traceback", lambda e: checkpoint_huge_steps(e, "export-nir")),
    Case("export-nir without the nir extra", "traceback", nir_missing),
    Case("full disk during a safetensors write", "traceback", disk_full),
    Case(
        "results.json {cnn: 'oops'}",
        "traceback",
        lambda e: results_wrong_type(e, lambda r: r.update(cnn="oops"), "cnn is a str"),
    ),
    Case(
        "results.json dev_acc 'x'",
        "traceback",
        lambda e: results_wrong_type(e, lambda r: r["snn_finetuned"].update(dev_acc="x"), "snn_finetuned.dev_acc"),
    ),
    Case("--grid snn.num_steps=2,2", "traceback", duplicate_grid),
    Case("reproduce --datasets sst2,sst2", "traceback", lambda e: reproduce_duplicate(e, "--datasets", "sst2,sst2")),
    Case("reproduce --presets quick,quick", "traceback", lambda e: reproduce_duplicate(e, "--presets", "quick,quick")),
    Case("--cpus-per-task nan", "traceback", cpus_nan),
    Case("convert --normalization qcfs on a ReLU CNN", "traceback", convert_qcfs_on_relu),
    Case(
        "--set finetune.init=qcfs on a ReLU CNN",
        "traceback",
        lambda e: setting_error(e, "finetune.init=qcfs", "model.activation=qcfs"),
    ),
    Case(
        "model.num_filters=10^9 names num_filters",
        "cause",
        lambda e: setting_error(e, "model.num_filters=1000000000", "model.num_filters = 1,000,000,000"),
    ),
    Case(
        "cnn.weight_decay=1e6 names the weight decay",
        "cause",
        lambda e: setting_error(e, "cnn.weight_decay=1000000", "cnn.weight_decay", "1 − lr·wd"),
    ),
    Case("NaN in a vectors file names the file", "cause", nan_vectors),
    Case("sweep --cnn with no such folder", "cause", missing_cnn_folder),
    Case("files written with the user's umask", "mode", file_modes),
]


def run_case(case: Case, env: Env) -> Outcome:
    try:
        return case.run(env)
    except Exception as e:  # noqa: BLE001 - a case that cannot even be set up is reported, not raised
        return Outcome("traceback", f"case setup: {type(e).__name__}: {e}")
