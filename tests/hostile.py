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

`tests/test_hostile.py` runs every case as a test; `python benchmarks/reproduce/hostile.py` runs them all and prints the
counts per class (benchmarks/results/hostile/). The cases are those of issue 24's review, then issue 35's: a
refused command must leave its folder byte for byte as it was (`refused_unchanged` hashes it before and after).
"""

from __future__ import annotations

import contextlib
import hashlib
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
# the spiketext under test (benchmarks/reproduce/hostile.py --src runs the cases against another checkout)
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
        from spiketext.core.checkpoint import META_DIGEST, meta_digest
    except ImportError:  # a spiketext without content digests (benchmarks/reproduce/hostile.py --src OLD)
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
        warnings = json.loads((out / "results.json").read_text()).get("warnings", [])
        rare = any(w["kind"] == "rare_class" for w in warnings)
        return None if rare else "no rare_class warning in results.json"

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


def checkpoint_huge_steps(env: Env, verb: str, name: str = "huge_T") -> Outcome:
    run, _, _ = env.copy(f"{name}_{verb}")
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

    from spiketext.core.checkpoint import save_checkpoint
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


# --- issue 35: nothing destroyed before it is checked ------------------------------------------------------------


def folder_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder`, hidden ones included -> its sha256."""
    files = (p for p in folder.rglob("*") if p.is_file())
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def refused_unchanged(folder: Path, argv: list[str], *needles: str) -> Outcome:
    """`argv` must be refused with a clear error naming `needles`, and leave `folder` byte for byte as it was."""
    before = folder_digest(folder)
    outcome = expect_error(cli(argv), *needles, wrong="lost")
    after = folder_digest(folder)
    if after != before:
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        return Outcome("lost", f"{outcome.kind}, and the folder changed: {changed[:6]}")
    return outcome


def restart_refused(env: Env, name: str, setting: str, restart: str, *needles: str) -> Outcome:
    run, data, vectors = env.copy(name)
    argv = ["run", *env.source(data, vectors), "--out", str(run), *TINY, *FAST, "--set", setting]
    return refused_unchanged(run, [*argv, "--restart", restart], *needles)


def restart_changed_data(env: Env) -> Outcome:
    run, data, vectors = env.copy("restart_data")
    data.write_text(data.read_text().replace("good", "nice"))
    argv = ["run", *env.source(data, vectors), "--out", str(run), *TINY, *FAST, "--set", "finetune.lr=0.001"]
    return refused_unchanged(run, [*argv, "--restart", "finetune"], "other content of train")


def restart_baselines_off(env: Env) -> Outcome:
    """A finished quick run (its fine-tuning starts from the best of four conversions), baselines off."""
    out = env.root / "quick_nobaselines"
    argv = ["run", *env.source(), "--out", str(out), "--preset", "quick", *TINY, *FAST]
    assert cli(argv).rc == 0
    return refused_unchanged(out, [*argv, "--restart", "baselines"], "baselines = false")


def attacks_at_once(env: Env) -> Outcome:
    """Two attacks into one --out at once: exactly one may write; the other is refused, naming the holder."""
    run, _, _ = env.copy("attack_race")
    out = env.root / "attack_race_out"
    args = ["attack", str(run), "--attack", "deepwordbug", "--draws", "2", "--eval-draws", "3", "--out", str(out)]
    first = spawn([*args, "--n", "40"])
    try:
        for _ in range(300):  # until the first has started on the folder (it creates it)
            if out.exists() or first.poll() is not None:
                break
            time.sleep(0.05)
        second = cli([*args, "--n", "5"])
        _, first_err = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
    if second.rc == 0 and first.returncode == 0:
        return Outcome("lost", "both attacks wrote attack_deepwordbug.* into one folder")
    if second.rc == 0:  # the second won the lock: the first must have been refused naming it
        refused = Ran(first.returncode, first_err)
        return expect_error(refused, "another spiketext process", f"pid {os.getpid()}")
    return expect_error(second, "another spiketext process", f"pid {first.pid}")


def nan_in_checkpoint(env: Env, verb: str) -> Outcome:
    """ "threshold": NaN put into a checkpoint's JSON, its meta_sha256 kept."""
    run, _, _ = env.copy(f"nan_ckpt_{verb}")
    path = run / "checkpoints" / "snn_finetuned.json"
    meta = json.loads(path.read_text())
    meta["snn"]["threshold"] = float("nan")
    path.write_text(json.dumps(meta))
    argv = {"evaluate": ["evaluate", str(run)], "predict": ["predict", str(run), "good film"]}[verb]
    return expect_error(cli(argv), "snn_finetuned.json", "snn.threshold is nan")


def _bad_name(env: Env, name: str) -> Path:
    return Path(os.fsdecode(os.fsencode(str(env.root)) + b"/" + name.encode() + b"\xff\xfe"))


def non_utf8_out(env: Env, verb: str) -> Outcome:
    if verb == "convert":
        run, _, _ = env.copy("utf8_convert")
        bad = _bad_name(env, "run")
        shutil.copytree(run, bad)
        return expect_error(cli(["convert", str(bad)]), "not valid UTF-8")
    bad = _bad_name(env, "fresh")
    outcome = expect_error(cli(["run", *env.source(), "--out", str(bad), *TINY, *FAST]), "not valid UTF-8")
    if outcome.ok and bad.exists():
        return Outcome("lost", "refused, but left the folder it created behind")
    return outcome


def undecodable_lock(env: Env) -> Outcome:
    """A lock file holding bytes that are not UTF-8 (left by some other tool), held by another process."""
    run, data, vectors = env.copy("badlock")
    lock = run / ".spiketext.lock"
    lock.write_bytes(b"pid 1 \xff\xfe\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl,sys,time; f=open(sys.argv[1],'rb'); fcntl.flock(f,fcntl.LOCK_EX); "
         "print(flush=True); time.sleep(60)", str(lock)], stdout=subprocess.PIPE)  # fmt: skip
    try:
        holder.stdout.readline()
        r = cli(["run", *env.source(data, vectors), "--out", str(run), *TINY, *FAST])
    finally:
        holder.kill()
        holder.wait()
    return expect_error(r, "another spiketext process")


def describe_blank_texts(env: Env) -> Outcome:
    data = env.root / "blank.csv"
    data.write_text("text,label\n" + "".join(f" ,{'pos' if i % 2 else 'neg'}\n" for i in range(20)))
    return expect_error(cli(["data", "describe", "--train", str(data)]), "every one of its 20", "empty text")


def grid_same_value(env: Env) -> Outcome:
    r = cli(["sweep", *env.source(), "--out", str(env.root / "dupval"), *TINY, "--grid", "snn.threshold=1,1.0"])
    return expect_error(r, "given twice", "1 and 1.0")


def digests_nulled(env: Env) -> Outcome:
    """Randomized convolution weights, with every digest set to null in a file that claims this format."""
    import torch
    from safetensors.torch import load_file, save_file

    run, _, _ = env.copy("nulled")
    stem = run / "checkpoints" / "snn_finetuned"
    tensors = load_file(str(stem) + ".safetensors")
    tensors = {k: torch.randn_like(v) if "conv" in k else v for k, v in tensors.items()}
    save_file(tensors, str(stem) + ".safetensors")
    meta = json.loads(Path(str(stem) + ".json").read_text())
    meta.update(meta_sha256=None, weights_sha256=None, weights_bytes=None)
    Path(str(stem) + ".json").write_text(json.dumps(meta))
    return expect_error(cli(["evaluate", str(run)]), "snn_finetuned.json", "digests were removed")


def legacy_strict(env: Env) -> Outcome:
    """A checkpoint from before the digests (no format claim, no digests): --strict refuses it."""
    run, _, _ = env.copy("legacy_strict")
    path = run / "checkpoints" / "snn_finetuned.json"
    meta = json.loads(path.read_text())
    for key in ("meta_sha256", "weights_sha256", "weights_bytes", "checkpoint"):
        meta.pop(key, None)
    path.write_text(json.dumps(meta))
    return expect_error(cli(["evaluate", str(run), "--strict"]), "snn_finetuned.json", "strict")


def csv_nan_label(env: Env) -> Outcome:
    data = env.root / "nanlabel.csv"
    rows = env.data.read_text().splitlines()
    rows[9] = rows[9].rsplit(",", 1)[0] + ",NaN"
    data.write_text("\n".join(rows) + "\n")
    return expect_error(cli(["data", "describe", "--train", str(data)]), "nanlabel.csv", "line 10", "'NaN'")


def sweep_advice(env: Env) -> Outcome:
    """A sweep rerun with another base setting: its advice must be one that `sweep` accepts."""
    src = sweep_folder(env)
    out = env.root / "sweep_advice"
    shutil.copytree(src, out)
    argv = ["sweep", *env.source(), "--out", str(out), *TINY, *FAST, "--grid", "snn.num_steps=4,8", "--in-process",
            "--set", "finetune.lr=0.01"]  # fmt: skip
    outcome = refused_unchanged(out, argv, "different settings")
    if outcome.ok and "--restart" in outcome.detail:
        return Outcome("cause", f"advises --restart, which sweep does not take: {outcome.detail}")
    return outcome


def nir_advice(env: Env) -> Outcome:
    outcome = checkpoint_huge_steps(env, "export-nir", "advice")
    if outcome.ok and "--num-steps" in outcome.detail:
        return Outcome("cause", f"advises --num-steps, which export-nir does not take: {outcome.detail}")
    return outcome


def lock_after_refusal(env: Env) -> Outcome:
    """A refused run leaves no lock file behind, and a held lock names the holder's whole command."""
    run, data, vectors = env.copy("lock_left")
    argv = ["run", *env.source(data, vectors), "--out", str(run), *TINY, *FAST, "--set", "cnn.lr=0.5"]
    outcome = refused_unchanged(run, argv, "different settings")
    if not outcome.ok:
        return outcome
    if (run / ".spiketext.lock").exists():
        return Outcome("lost", "the lock file stayed behind")
    (env.root / "lockbig").mkdir(exist_ok=True)
    big, vectors = write_tiny_task(env.root / "lockbig", n=20000)
    out = env.root / "lock_holder"
    first = spawn(["run", "--train", str(big), "--embeddings", str(vectors), "--out", str(out), *TINY,
                   "--set", "cnn.epochs=500", "--set", "cnn.patience=null"])  # fmt: skip
    try:
        text = ""
        for _ in range(300):
            lock = out / ".spiketext.lock"
            text = lock.read_text() if lock.is_file() else ""
            if text.strip():
                break
            time.sleep(0.1)
    finally:
        first.kill()
        first.wait()
    return Outcome("correct", text.strip()) if "cnn.patience=null" in text else Outcome("silent", f"lock: {text!r}")


def describe_rare_once(env: Env) -> Outcome:
    data = env.root / "rare_once.csv"
    data.write_text(env.data.read_text() + "odd film,meh\nodd plot,meh\n")
    out = io.StringIO()
    with contextlib.redirect_stderr(out):
        import logging

        handler = logging.StreamHandler(out)
        logging.getLogger().addHandler(handler)
        try:
            r = cli(["data", "describe", "--train", str(data)])
        finally:
            logging.getLogger().removeHandler(handler)
    said = (r.out + r.err + out.getvalue()).count("'meh'")
    return expect_ok(r, lambda: None if said == 1 else f"the rare class is named {said} times")


def ray_quiet(env: Env) -> Outcome:
    """A Ray sweep prints no warning of Ray's own (token authentication) on stderr."""
    out = env.root / "ray_quiet"
    argv = ["sweep", *env.source(), "--out", str(out), *TINY, *FAST, "--grid", "snn.num_steps=4", "--workers", "1"]
    proc = spawn(argv)
    _, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        return Outcome("cause", err[-300:])
    noisy = [line for line in err.splitlines() if "authentication" in line.lower()]
    return Outcome("silent", noisy[0][:200]) if noisy else Outcome("correct", "no Ray warning")


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
    # issue 35
    Case(
        "finished run, kernel 30 > L, --restart cnn",
        "lost",
        lambda e: restart_refused(e, "k30", "model.kernel_sizes=[30]", "cnn", "kernel"),
    ),
    Case(
        "finished run, T = 10^8, --restart convert",
        "lost",
        lambda e: restart_refused(e, "t1e8", "snn.num_steps=100000000", "convert", "snn.num_steps"),
    ),
    Case("changed train file, --restart finetune", "lost", restart_changed_data),
    Case("--restart baselines on a quick run without baselines", "lost", restart_baselines_off),
    Case("two attacks into one --out at once", "lost", attacks_at_once),
    Case("checkpoint threshold NaN, digest kept: evaluate", "traceback", lambda e: nan_in_checkpoint(e, "evaluate")),
    Case("checkpoint threshold NaN, digest kept: predict", "traceback", lambda e: nan_in_checkpoint(e, "predict")),
    Case("--out not valid UTF-8: convert", "traceback", lambda e: non_utf8_out(e, "convert")),
    Case("--out not valid UTF-8: run", "cause", lambda e: non_utf8_out(e, "run")),
    Case("lock file with undecodable bytes", "traceback", undecodable_lock),
    Case("data describe, every text blank", "cause", describe_blank_texts),
    Case("--grid snn.threshold=1,1.0", "silent", grid_same_value),
    Case("digests set to null, weights randomized", "silent", digests_nulled),
    Case("a checkpoint without digests, --strict", "silent", legacy_strict),
    Case("csv label NaN", "silent", csv_nan_label),
    Case("sweep refusal advises only what sweep takes", "cause", sweep_advice),
    Case("export-nir refusal advises only what export-nir takes", "cause", nir_advice),
    Case("lock file: whole command, gone after a refusal", "silent", lock_after_refusal),
    Case("data describe names a rare class once", "silent", describe_rare_once),
    Case("a Ray sweep prints no token warning", "silent", ray_quiet, slow=True),
]


def run_case(case: Case, env: Env) -> Outcome:
    try:
        return case.run(env)
    except Exception as e:  # noqa: BLE001 - a case that cannot even be set up is reported, not raised
        return Outcome("traceback", f"case setup: {type(e).__name__}: {e}")
