"""Seeds on one machine, side by side: three single-seed runs, `--seeds 3` one after another, `--seeds 3` stacked.

    python benchmarks/reproduce/stacked_seeds.py [--dataset sst2] [--preset quick] [--device cpu] [--full]
        [--set KEY=VALUE]

Each variant is a fresh `spiketext run` in its own process (wall time and peak resident memory from
/usr/bin/time), into a scratch folder; the three variants run one after another in one invocation so that they
share the machine's state. By default the budget is cut (4 CNN epochs without early stop, 1 fine-tuning epoch, one
test draw) so the whole comparison takes minutes on 2 cores; `--full` runs the preset's own budget. Each member's
dev-selected accuracies are compared with its single-seed run's. Writes benchmarks/results/stacked_seeds/<name>.json
and .md. Pause any background work while it runs (kill -STOP / kill -CONT).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results" / "stacked_seeds"
SHORT = ["--set", "cnn.epochs=4", "--set", "cnn.patience=null", "--set", "finetune.epochs=1", "--set", "test_repeats=1"]


def timed(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MiB) of one `spiketext` command."""
    cmd = ["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "spiketext.cli", *argv]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
    _, peak_kib = proc.stderr.strip().splitlines()[-1].split()
    return wall, int(peak_kib) / 1024


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="sst2")
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--full", action="store_true", help="the preset's own epochs (default: a cut budget)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting for every run, e.g. data.embeddings=.gpu/glove on the GPU machine")  # fmt: skip
    args = ap.parse_args()
    base = ["run", "--dataset", args.dataset, "--preset", args.preset, "--set", f"device={args.device}"]
    base += [x for kv in args.set for x in ("--set", kv)]
    base += [] if args.full else SHORT
    scratch = Path(tempfile.mkdtemp(prefix="stacked_seeds_"))
    rows, per_seed = {}, {}
    try:
        singles = [timed([*base, "--seed", str(s), "--out", str(scratch / f"single{s}")]) for s in range(3)]
        rows["three single-seed runs"] = (sum(w for w, _ in singles), max(m for _, m in singles))
        rows["--seeds 3, one after another"] = timed(
            [*base, "--seeds", "3", "--set", "stack_seeds=false", "--out", str(scratch / "sequential")]
        )
        rows["--seeds 3, stacked"] = timed(
            [*base, "--seeds", "3", "--set", "stack_seeds=true", "--out", str(scratch / "stacked")]
        )
        for s in range(3):
            one = json.loads((scratch / f"single{s}" / "results.json").read_text())
            st = json.loads((scratch / "stacked" / f"seed{s}" / "results.json").read_text())
            per_seed[s] = {
                k: {
                    "single": one[k]["test_acc"],
                    "stacked": st[k]["test_acc"],
                    "epoch": [one[k]["epoch"], st[k]["epoch"]],
                }
                for k in ("cnn", "snn_finetuned")
            }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    single = rows["three single-seed runs"][0]
    name = f"{args.preset}_{args.dataset}_{args.device}" + ("_full" if args.full else "")
    out = {
        "command": " ".join(base),
        "cpu": cpu_name(),
        "budget": "preset" if args.full else "cut: " + " ".join(SHORT[1::2]),
        "rows": {k: {"seconds": w, "peak_mib": m, "vs_three_single": w / single} for k, (w, m) in rows.items()},
        "per_seed_test_acc": per_seed,
    }
    lines = [
        f"# Seeds side by side: {args.preset} preset, {args.dataset}, {args.device} ({out['cpu']})",
        "",
        f"`{out['command']}`; budget: {out['budget']}",
        "",
        "| variant | wall s | × three single runs | peak memory MiB (one process) |",
        "|---|---:|---:|---:|",
    ]
    for k, v in out["rows"].items():
        lines.append(f"| {k} | {v['seconds']:.1f} | {v['vs_three_single']:.2f} | {v['peak_mib']:.0f} |")
    lines += ["", "| seed | CNN test single / stacked | SNN test single / stacked | selected epochs equal |",
              "|---:|---|---|:-:|"]  # fmt: skip
    for s, r in per_seed.items():
        same = all(v["epoch"][0] == v["epoch"][1] for v in r.values())
        lines.append(
            f"| {s} | {100 * r['cnn']['single']:.2f} / {100 * r['cnn']['stacked']:.2f} | "
            f"{100 * r['snn_finetuned']['single']:.2f} / {100 * r['snn_finetuned']['stacked']:.2f} | "
            f"{'✓' if same else '✗'} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(out, indent=1) + "\n")
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
