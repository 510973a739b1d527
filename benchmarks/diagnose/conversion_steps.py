"""Why the paper preset's SNN trails its CNN: the converted and the fine-tuned SNN's test accuracy as T grows.

At T = 50 a Bernoulli-coded unit's rate has a standard deviation of √(x(1−x)/T) (up to 0.07) and an IF neuron's
count resolves 1/T. If the plain copy approaches its CNN as T grows, the loss at the paper's T = 50 is the rate
code's sampling and resolution at short T, not a mismatch of the converted weights; fine-tuning at T = 50 then
trades the one for the other. Reads saved run folders (checkpoints included) through the public API; every
accuracy is the mean over `--repeats` seeded input draws of the whole test split.

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/diagnose/conversion_steps.py runs/grid/paper_sst2/seed0 \
        runs/grid/paper_sst2/seed1 runs/grid/paper_mr/seed0 --json benchmarks/results/conversion_steps.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from spiketext import api


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path, help="run folders with their checkpoints")
    p.add_argument("--steps", type=int, nargs="+", default=[25, 50, 100, 200, 400])
    p.add_argument("--models", nargs="+", default=["snn_converted", "snn_finetuned"])
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    rows = []
    for run in args.runs:
        cnn = api.evaluate(run, model="cnn")["acc"]
        for model in args.models:
            for T in args.steps:
                t0 = time.perf_counter()
                r = api.evaluate(run, model=model, num_steps=T, repeats=args.repeats)
                row = {"run": str(run), "model": model, "num_steps": T, "acc": r["acc"], "std": r["std"], "cnn": cnn}
                rows.append(row | {"seconds": time.perf_counter() - t0})
                print(json.dumps(rows[-1]), flush=True)
    print(f"\ntest accuracy (%), mean of {args.repeats} input draws; the CNN's in the last column\n")
    print("| run | model | " + " | ".join(f"T = {T}" for T in args.steps) + " | CNN |")
    print("|---|---|" + "---:|" * (len(args.steps) + 1))
    for run in args.runs:
        for model in args.models:
            accs = {r["num_steps"]: r["acc"] for r in rows if r["run"] == str(run) and r["model"] == model}
            cnn = next(r["cnn"] for r in rows if r["run"] == str(run))
            cells = " | ".join(f"{100 * accs[T]:.2f}" for T in args.steps)
            print(f"| {run.parent.name}/{run.name} | {model} | {cells} | {100 * cnn:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"repeats": args.repeats, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
