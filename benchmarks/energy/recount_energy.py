"""Recount committed runs' energy with the reviewer's accounting, from their checkpoints.

    python benchmarks/energy/recount_energy.py [--runs runs/grid] [--results benchmarks/results/grid]

For every committed seed folder RESULTS/<group>/seed<S>/ whose energy was counted with the first accounting (no
`accounting` key), the run folder RUNS/<group>/seed<S>/ (which holds the checkpoints; they are not committed) is
recounted with `spiketext energy` (the run's own seed, batch and precision: the same spikes), its energy.json / .md
and results.json's energy summary are replaced (the new report keeps the first accounting's numbers beside the new
ones), the files are copied to the committed folder, and each group's mean over seeds is rewritten. Prints the old
and the new ratio per run. A run whose folder is gone is listed as not recounted.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from grid_summary import summarize_group

from spiketext import api
from spiketext.energy.report import energy_summary
from spiketext.io import atomic_write_json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", default="runs/grid")
    ap.add_argument("--results", default=str(Path(__file__).resolve().parents[1] / "results" / "grid"))
    ap.add_argument("--all", action="store_true", help="recount runs already counted with the reviewer's accounting")
    args = ap.parse_args()
    runs, results = Path(args.runs), Path(args.results)
    groups, missing = set(), []
    print("| run | first accounting (synaptic ops, padded CNN) | reviewer's accounting | memory-incl. 32 KB |")
    print("|---|---:|---:|---:|")
    for dest in sorted(results.glob("*/seed*")):
        committed = json.loads((dest / "results.json").read_text())
        if committed.get("energy", {}).get("accounting") and not args.all:
            continue
        run = runs / dest.parent.name / dest.name
        if not (run / "checkpoints" / "snn_finetuned.json").is_file():
            missing.append(f"{dest.parent.name}/{dest.name}")
            continue
        report = api.energy(run, out=run)
        results_json = json.loads((run / "results.json").read_text())
        results_json["energy"] = energy_summary(report)
        atomic_write_json(run / "results.json", results_json)
        for name in ("results.json", "energy.json", "energy.md"):
            shutil.copy(run / name, dest / name)
        groups.add(dest.parent)
        e = results_json["energy"]
        print(f"| {dest.parent.name}/{dest.name} | {e['ratio']:.3f} | {e['ratio_all_ops']:.3f} | "
              f"{e['ratio_memory_sram']['32KB']:.3f} |")  # fmt: skip
    for group in sorted(groups):
        if (group / "results.json").is_file():
            summarize_group(group)
    if missing:
        print(f"\nnot recounted (no checkpoints here): {', '.join(missing)}")


if __name__ == "__main__":
    main()
