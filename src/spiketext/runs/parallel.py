"""Independent jobs (sweep points, reproduction runs) in this process, one after another, or as Ray tasks.

Every job writes only its own resumable run folder, and the summaries are rebuilt from the finished folders, so
a killed worker or a killed driver loses at most the jobs in flight: rerunning the command skips what finished
and resumes the rest where their folders stopped. A job may wait for others (`after`): a sweep's points wait for
the one job that trains the CNN they share.

Backends: "local" runs the jobs here, one after another; "processes" runs `workers` of them at a time in
processes of this machine (where Ray is not installed, e.g. a machine without network access); "ray" (the `ray`
extra) runs them as Ray tasks: a local instance by default (`workers` concurrent jobs of `cpus_per_task`
cores, or `gpus_per_task` GPUs), or an existing cluster at `address` (`ray start --head` on one machine, `ray
start --address ...` on the others; every node needs spiketext installed and the same paths for the data and the
output folder, e.g. a shared file system). The driver forwards its SPIKETEXT_* environment to the workers.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spiketext.core.registry import Registry
from spiketext.errors import SpiketextError

log = logging.getLogger(__name__)

NEEDS_RAY = "--ray-address needs Ray: pip install 'spiketext[ray]' (or use --workers N: processes of this machine)"


@dataclass(frozen=True)
class Job:
    """One unit of work: `fn(*args)`, after the jobs named in `after` have finished. `fn` must be a module-level
    function (Ray sends it to workers by reference)."""

    key: str
    fn: Callable[..., Any]
    args: tuple = ()
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Backend:
    """Where jobs run: "local" (this process, in order), "processes" (`workers` processes of this machine) or "ray"
    (a local instance of `workers` jobs at a time, or the cluster at `address`)."""

    kind: str = "local"  # a registered executor (`EXECUTORS`)
    workers: int | None = None
    address: str | None = None
    cpus_per_task: float = 1.0
    gpus_per_task: float = 0.0

    def __post_init__(self) -> None:
        EXECUTORS.check(self.kind, "backend")
        if self.kind == "processes" and (self.workers is None or self.address):
            raise SpiketextError("the processes backend needs a number of workers and no Ray address")
        if self.workers is not None and self.workers < 1:
            raise SpiketextError(f"--workers {self.workers}: at least 1")
        finite = math.isfinite(self.cpus_per_task) and math.isfinite(self.gpus_per_task)
        if not finite or self.cpus_per_task <= 0 or self.gpus_per_task < 0:
            raise SpiketextError(
                f"--cpus-per-task {self.cpus_per_task} must be > 0 and --gpus-per-task {self.gpus_per_task} >= 0"
            )

    def describe(self) -> str:
        if self.kind == "local":
            return "this process, one job after another"
        if self.kind == "processes":
            return f"{self.workers} processes of this machine (Ray is not installed), {self.cpus_per_task:g} CPU each"
        where = (
            f"the Ray cluster at {self.address}" if self.address else f"a local Ray instance, {self.workers} at a time"
        )
        return f"{where} ({self.cpus_per_task:g} CPU, {self.gpus_per_task:g} GPU per job)"


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def choose_backend(
    workers: int | None = None,
    address: str | None = None,
    cpus_per_task: float = 1.0,
    gpus_per_task: float = 0.0,
    in_process: bool = False,
) -> Backend:
    """The CLI's rule: `in_process` -> local; `address` -> Ray (an error without it); `workers` -> Ray, or processes
    of this machine where Ray is not installed; neither -> Ray on all this machine's cores where Ray is installed,
    else local."""
    if not math.isfinite(cpus_per_task) or cpus_per_task <= 0:
        raise SpiketextError(f"--cpus-per-task {cpus_per_task}: give a number of cores > 0, e.g. 1 or 0.5")
    if not math.isfinite(gpus_per_task) or gpus_per_task < 0:
        raise SpiketextError(f"--gpus-per-task {gpus_per_task}: give a GPU share >= 0, e.g. 0.25")
    if in_process:
        if workers is not None or address is not None:
            raise SpiketextError("--in-process runs here, one job at a time: drop --workers/--ray-address, or it")
        return Backend("local")
    if address is None and not ray_available():
        if workers is None:
            return Backend("local")
        return Backend("processes", workers, None, cpus_per_task, gpus_per_task)
    if not ray_available():
        raise SpiketextError(NEEDS_RAY)
    if workers is None and address is None:
        workers = max(1, int((os.cpu_count() or 1) // cpus_per_task))
    return Backend("ray", workers, address, cpus_per_task, gpus_per_task)


def _check(jobs: Sequence[Job]) -> None:
    seen: set[str] = set()
    for job in jobs:
        if job.key in seen:
            raise ValueError(f"job {job.key!r} is listed twice")
        missing = [k for k in job.after if k not in seen]
        if missing:
            raise ValueError(f"job {job.key!r} waits for {missing}, which are not listed before it")
        seen.add(job.key)


def run_jobs(
    jobs: Sequence[Job], backend: Backend, on_done: Callable[[str, Any], None] | None = None
) -> dict[str, Any]:
    """Run `jobs` (each after its `after` jobs, which come earlier in the list); returns {key: result}.

    Local: in list order; the first failure propagates. Ray: all at once as resources allow; a job whose
    dependency failed does not run; after every job has ended, one error names the failed jobs (the finished ones
    are kept on disk)."""
    _check(jobs)
    return EXECUTORS.get(backend.kind, "backend")(jobs, backend, on_done)


def _run_local(jobs: Sequence[Job], backend: Backend, on_done: Callable[[str, Any], None] | None) -> dict[str, Any]:
    results = {}
    for job in jobs:
        results[job.key] = job.fn(*job.args)
        if on_done:
            on_done(job.key, results[job.key])
    return results


def _failed(failed: dict[str, str], total: int) -> SpiketextError:
    first = next(iter(failed.items()))
    return SpiketextError(
        f"{len(failed)} of {total} jobs failed ({', '.join(failed)}); first: {first[0]}: {first[1]}. "
        "The finished ones are kept: fix the cause and rerun the same command to do the rest"
    )


def _record(
    key: str,
    get: Callable[[], Any],
    results: dict[str, Any],
    failed: dict[str, str],
    on_done: Callable[[str, Any], None] | None,
) -> None:
    """A finished job's result into `results`, or its error's last line into `failed` (reported once all jobs have
    ended; Ray wraps the job's own error, whose `cause` it keeps)."""
    try:
        results[key] = get()
    except Exception as e:  # noqa: BLE001 - any job error is reported by job, after the others have ended
        failed[key] = _last_line(getattr(e, "cause", None) or e)
        log.warning("job %s failed: %s", key, failed[key])
        return
    if on_done:
        on_done(key, results[key])


def _last_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[-1] if text else type(e).__name__


def _run_processes(jobs: Sequence[Job], backend: Backend, on_done: Callable[[str, Any], None] | None) -> dict[str, Any]:
    """`backend.workers` processes (spawned: no state shared with this one); a job starts once its `after` jobs
    have finished, and is skipped (failed) if one of them failed."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    threads = max(1, int(backend.cpus_per_task))
    results: dict[str, Any] = {}
    failed: dict[str, str] = {}
    waiting = list(jobs)
    running: dict[Future, str] = {}
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(backend.workers, mp_context=ctx, initializer=die_with_parent, initargs=(os.getpid(),))
    with pool:
        while waiting or running:
            for job in list(waiting):
                if any(k in failed for k in job.after):
                    failed[job.key] = f"skipped: {', '.join(k for k in job.after if k in failed)} failed"
                    waiting.remove(job)
                elif all(k in results for k in job.after):
                    running[pool.submit(_call, job.fn, threads, job.args)] = job.key
                    waiting.remove(job)
            if not running:
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                _record(running.pop(future), future.result, results, failed, on_done)
    if failed:
        raise _failed(failed, len(jobs))
    return results


def die_with_parent(parent: int) -> None:
    """Linux: this process is killed when its parent dies, kill -9 included (PR_SET_PDEATHSIG), so that a killed
    driver never leaves workers (nor the resource tracker that waits on them) running. Elsewhere: nothing."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


# A watcher for a local Ray instance: Ray's own processes die with their raylet, except two agents (Ray 2.60:
# DashboardAgent, RuntimeEnvAgent), which outlive a killed driver (measured: still running minutes later), and a
# worker the raylet started shortly before can take longer than 20 s to notice on a loaded machine (seen once in
# CI). The watcher records every process below the driver twice a second for as long as the driver lives (so workers
# started after ray.init are recorded too); when the driver's end of its stdin closes (the driver exited, however),
# it kills every recorded process, each only if its start time (/proc/PID/stat) is still the recorded one, so a
# reused process id is never hit. Linux only (/proc); elsewhere nothing is watched.
_WATCHER = """
import os, select, signal, sys
def table():
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[int(name)] = (int(fields[1]), fields[19])
    return out
def below(root, t):
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, start) in t.items():
            if ppid == parent and pid != me and pid not in found:
                found[pid] = start
                frontier.append(pid)
    return found
me, driver = os.getpid(), int(sys.argv[1])
before = set(below(driver, table()).items())  # the driver's other children: never the watcher's to kill
seen = {}
while True:
    seen.update(kv for kv in below(driver, table()).items() if kv not in before)
    ready, _, _ = select.select([sys.stdin], [], [], 0.5)
    if ready and not os.read(sys.stdin.fileno(), 4096):
        break
now = table()
for pid, start in seen.items():
    if now.get(pid, (0, None))[1] == start:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
"""


def _watch_ray_processes() -> Any:
    """Start the watcher over the processes that appear below this one from now on (what ray.init starts, and what
    those start later); None where /proc is absent."""
    import subprocess
    import sys

    if not Path("/proc/self/stat").exists():
        return None
    return subprocess.Popen(
        [sys.executable, "-c", _WATCHER, str(os.getpid())], stdin=subprocess.PIPE, start_new_session=True
    )


@contextlib.contextmanager
def _scoped_env(**defaults: str) -> Iterator[None]:
    """Set the variables the user has not set, for the block only."""
    added = {k: v for k, v in defaults.items() if k not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


@contextlib.contextmanager
def _restored(logger: logging.Logger, level: int) -> Iterator[None]:
    try:
        yield
    finally:
        logger.setLevel(level)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("SPIKETEXT_")}


def _call(fn: Callable[..., Any], threads: int, args: tuple, *_after: Any) -> Any:
    """One job in a worker: `fn(*args)` with torch's threads matched to the job's cores (`_after`: on Ray, the
    results of the jobs this one waits for, passed only so that Ray waits for them)."""
    import torch

    torch.set_num_threads(threads)
    return fn(*args)


def _run_ray(jobs: Sequence[Job], backend: Backend, on_done: Callable[[str, Any], None] | None) -> dict[str, Any]:
    try:
        import ray
    except ImportError as e:
        raise SpiketextError(NEEDS_RAY) from e
    started, watcher = False, None
    if not ray.is_initialized():
        runtime_env = {"env_vars": _env()}
        if backend.address:
            ray.init(address=backend.address, runtime_env=runtime_env, logging_level=logging.WARNING)
        else:
            gpus = None if backend.gpus_per_task else 0
            # Ray starts workers at nice 15, which starves them beside any busy process (measured: a 17 s tiny
            # sweep took 5 min next to one training run): a local instance's jobs are the user's work, at the
            # driver's priority. Both settings reach the processes ray.init starts; the user's environment is
            # restored after it. Ray's default for a local instance, token authentication, stays on; only its
            # notice about that default (a warning on stderr at every sweep) is kept out of the user's output.
            notice = logging.getLogger("ray._private.authentication.authentication_token_setup")
            level, notice.level = notice.level, logging.ERROR
            watcher = _watch_ray_processes()  # before ray.init: what it starts is new to the watcher
            try:
                with _scoped_env(RAY_USAGE_STATS_ENABLED="0", RAY_worker_niceness="0"), _restored(notice, level):
                    ray.init(
                        num_cpus=int(backend.workers * backend.cpus_per_task),  # type: ignore[operator]
                        num_gpus=gpus,
                        include_dashboard=False,
                        runtime_env=runtime_env,
                        logging_level=logging.WARNING,
                    )
            except BaseException:
                _end_watcher(watcher)
                raise
        started = True
    try:
        task = ray.remote(_call).options(
            num_cpus=backend.cpus_per_task,
            num_gpus=backend.gpus_per_task,
            max_retries=2,  # a worker that died (killed, out of memory) is retried; its folder resumes
            retry_exceptions=False,  # an error in spiketext is not retried: it would fail the same way
        )
        threads = max(1, int(backend.cpus_per_task))
        refs: dict[str, Any] = {}
        for job in jobs:
            refs[job.key] = task.remote(job.fn, threads, job.args, *(refs[k] for k in job.after))
        keys = {ref: key for key, ref in refs.items()}
        results: dict[str, Any] = {}
        failed: dict[str, str] = {}
        pending = list(refs.values())
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            _record(keys[done[0]], lambda ref=done[0]: ray.get(ref), results, failed, on_done)
        if failed:
            raise _failed(failed, len(jobs))
        return results
    finally:
        if started:
            ray.shutdown()
        _end_watcher(watcher)


def _end_watcher(watcher: Any) -> None:
    """Close the watcher's stdin: it ends, killing what Ray left running (normally nothing)."""
    if watcher is not None:
        watcher.stdin.close()
        watcher.wait()


# Where jobs run (Backend.kind): this process, processes of this machine, or Ray.
Executor = Callable[[Sequence[Job], Backend, Callable[[str, Any], None] | None], dict[str, Any]]
EXECUTORS: Registry[Executor] = Registry("executor")
EXECUTORS.add("local", _run_local)
EXECUTORS.add("processes", _run_processes)
EXECUTORS.add("ray", _run_ray)
