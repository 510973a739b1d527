"""Wall time of a frontier recipe against the efficient preset, side by side on one machine (issue 23's target:
the recipe stays within 2x of the preset).

Each recipe is a full `spiketext run` (CNN, conversion, fine-tuning, baselines) in a fresh process and a fresh
folder, run in alternating order (A B A B ...) so drift in the machine's speed falls on both alike. Pause
background work first (`kill -STOP`). Prints a table and writes JSON + markdown.

Usage: SPIKETEXT_DATA_DIR=../shared/data python benchmarks/diagnose/recipe_time.py [--dataset sst2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECIPES = {
    "efficient preset (T = 16, delta = 0)": [],
    "T = 8, delta = 0.1": ["--set", "snn.num_steps=8", "--set", "data.dead_zone=0.1"],
}


def run_once(dataset: str, extra: list[str], out: Path) -> tuple[float, dict]:
    cmd = [str(ROOT / ".venv/bin/spiketext"), "run", "--preset", "efficient", "--dataset", dataset, "--out", str(out)]
    start = time.perf_counter()
    subprocess.run(cmd + extra, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    return wall, json.loads((out / "results.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="sst2")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/dead_zone")
    args = parser.parse_args()

    walls: dict[str, list[float]] = {name: [] for name in RECIPES}
    accs: dict[str, list[float]] = {name: [] for name in RECIPES}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for i, (name, extra) in enumerate(RECIPES.items()):
                wall, results = run_once(args.dataset, extra, Path(tmp) / f"r{r}_{i}")
                walls[name].append(wall)
                accs[name].append(results["snn_finetuned"]["test_acc"])
                print(f"round {r}  {name:<40} {wall:7.1f} s  SNN test {100 * accs[name][-1]:.2f}", flush=True)

    base = statistics.median(walls[next(iter(RECIPES))])
    rows = [
        {
            "recipe": name,
            "seconds": walls[name],
            "median_s": statistics.median(walls[name]),
            "ratio_to_preset": statistics.median(walls[name]) / base,
            "snn_test_acc": accs[name],
        }
        for name in RECIPES
    ]
    meta = {
        "dataset": args.dataset,
        "rounds": args.rounds,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "command": f"python benchmarks/diagnose/recipe_time.py --dataset {args.dataset} --rounds {args.rounds}",
    }
    lines = [
        f"# Wall time, {args.dataset}, seed 0, {args.rounds} alternating rounds, {os.cpu_count()} cores",
        "",
        f"`{meta['command']}` (background work paused)",
        "",
        "| recipe | wall s (each round) | median s | vs preset | SNN test % |",
        "|---|---|---:|---:|---|",
    ]
    for row in rows:
        each = ", ".join(f"{s:.1f}" for s in row["seconds"])
        acc = ", ".join(f"{100 * a:.2f}" for a in row["snn_test_acc"])
        lines.append(f"| {row['recipe']} | {each} | {row['median_s']:.1f} | {row['ratio_to_preset']:.2f}x | {acc} |")
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"wall_time_{args.dataset}"
    stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    stem.with_suffix(".md").write_text(text)


if __name__ == "__main__":
    main()
