"""The spiking transformer's table in the background: the `transformer` preset × the four English data sets × 3
seeds, one run at a time, resumable, each finished stage's result files (never checkpoints) copied to
benchmarks/results/transformer/<data set>/seed<S>/ and committed at once.

    git worktree add /work/tgrid HEAD       # a pinned copy of the code: edits made meanwhile cannot reach it
    REPO=$PWD SPIKETEXT_DATA_DIR=../shared/data PYTHONPATH=/work/tgrid/src \\
        nohup nice -n 10 .venv/bin/python /work/tgrid/benchmarks/reproduce/transformer_grid.py --upto ann \\
        > runs/tgrid.log 2>&1 &

`--upto ann` trains every ANN first (the stage that needs no later decision), `--upto all` the whole run
(`spiketext run --preset transformer`); `--order seed` takes every data set's seed 0 before any seed 1. A run
whose folder under RUNS holds a finished stage resumes from it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(os.environ.get("REPO") or Path(__file__).resolve().parents[2])
OUT = REPO / "benchmarks" / "results" / "transformer"
FILES = ("config.json", "inputs.json", "data.json", "results.json", "results.md", "metrics.jsonl", "energy.json",
         "energy.md", "snn_steps.json")  # fmt: skip


def commit(paths: list[Path], message: str) -> None:
    """Commit only `paths` (other staged changes stay staged); retry while another git holds the index."""
    for _ in range(30):
        add = subprocess.run(["git", "-C", str(REPO), "add", "--", *map(str, paths)], capture_output=True)
        done = subprocess.run(["git", "-C", str(REPO), "commit", "-q", "-m", message, "--", *map(str, paths)],
                              capture_output=True)  # fmt: skip
        if add.returncode == 0 and done.returncode == 0:
            return
        clean = subprocess.run(["git", "-C", str(REPO), "diff", "--quiet", "HEAD", "--", *map(str, paths)])
        if clean.returncode == 0:
            return
        time.sleep(10)
    print(f"tgrid: could not commit {paths}", file=sys.stderr)


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upto", choices=("ann", "all"), default="all")
    p.add_argument("--datasets", default="sst2,mr,subj,sst5")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--order", choices=("seed", "dataset"), default="seed")
    p.add_argument("--runs", default=str(REPO / "runs" / "tgrid"), help="where the run folders (with checkpoints) live")
    p.add_argument("--no-commit", action="store_true")
    p.add_argument("--restart", help="the stage to start over in a folder whose settings differ (e.g. qann)")
    p.add_argument(
        "--threads", type=int, help="torch CPU threads (default: torch's; 1 to share the cores with another job)"
    )
    args = p.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    from spiketext import api
    from spiketext.errors import SpiketextError
    from spiketext.settings.presets import build_run_config

    datasets, seeds = args.datasets.split(","), [int(s) for s in args.seeds.split(",")]
    jobs = (
        [(d, s) for s in seeds for d in datasets] if args.order == "seed" else [(d, s) for d in datasets for s in seeds]
    )
    for dataset, seed in jobs:
        dest = OUT / dataset / f"seed{seed}"
        marker = dest / ("run.time" if args.upto == "all" else "ann.time")
        if marker.is_file():
            continue
        folder = Path(args.runs) / dataset / f"seed{seed}"
        cfg = build_run_config("transformer", overrides={"data": {"dataset": dataset}, "seed": seed})
        print(
            f"tgrid: {dataset} seed {seed} ({args.upto}) started {time.strftime('%FT%TZ', time.gmtime())}", flush=True
        )
        t0 = time.perf_counter()
        try:
            if args.upto == "ann":
                api.train_ann(cfg, folder)
            else:
                try:
                    api.run(cfg, folder)
                except SpiketextError as e:  # a folder made under other settings: start the named stage over
                    if not (args.restart and "holds a run with different settings" in str(e)):
                        raise
                    print(f"tgrid: {dataset} seed {seed}: {e}; restarting {args.restart}", flush=True)
                    api.run(cfg, folder, restart=args.restart)
        except Exception as e:  # noqa: BLE001 - one failed run must not stop the grid
            print(f"tgrid: {dataset} seed {seed} FAILED: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            continue
        dest.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            if (folder / name).is_file():
                shutil.copy2(folder / name, dest / name)
        import torch

        marker.write_text(
            f"{time.perf_counter() - t0:.0f} s of wall time this invocation, {torch.get_num_threads()} threads\n"
            f"{cpu_name()}\n"
        )
        if not args.no_commit:
            commit([dest], f"tgrid: {dataset} seed {seed} ({args.upto})")
        print(f"tgrid: {dataset} seed {seed} done {time.strftime('%FT%TZ', time.gmtime())}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
