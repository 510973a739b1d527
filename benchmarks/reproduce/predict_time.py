"""How long `spiketext predict --model NAME "TEXT"` takes in a fresh process, for every released model: the
wall time a user waits (Python start, imports, loading and checking the model, one inference), median of 3.

    python benchmarks/reproduce/predict_time.py [--repeats 3]

Writes benchmarks/results/released/predict_time.md and .json. Time it on an idle machine (pause other jobs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "benchmarks" / "results" / "released"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from spiketext.runs.released import EXAMPLE, EXAMPLES, index

    exe = Path(sys.executable).parent / "spiketext"
    rows = {}
    for name, entry in index().items():
        text = EXAMPLES.get(entry["dataset"], EXAMPLE)
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            done = subprocess.run([str(exe), "predict", "--model", name, text], capture_output=True, text=True,
                                  env={**os.environ, "PYTHONWARNINGS": "ignore"})  # fmt: skip
            times.append(time.perf_counter() - t0)
            if done.returncode != 0:
                raise SystemExit(f"{name}: {done.stderr.strip()}")
        rows[name] = {"median_s": statistics.median(times), "seconds": times, "output": done.stdout.strip()}
        print(f"{name}: {rows[name]['median_s']:.2f} s", flush=True)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "predict_time.json").write_text(json.dumps({"cpu": cpu, "cores": os.cpu_count(), "rows": rows}, indent=1))
    lines = [f"# `spiketext predict --model NAME` in a fresh process ({cpu}, {os.cpu_count()} cores)", "",
             f"| released model | wall time (s, median of {args.repeats}) | output |", "|---|---:|---|"]  # fmt: skip
    lines += [f"| {n} | {r['median_s']:.2f} | `{r['output'].replace(chr(9), ' ')[:70]}` |" for n, r in rows.items()]
    lines += ["", "Made by `python benchmarks/reproduce/predict_time.py` on an idle machine."]
    (OUT / "predict_time.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
