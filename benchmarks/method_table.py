"""The README's method table from committed run folders (default: the grid in benchmarks/results/grid).

    python benchmarks/method_table.py [RUNS_DIR] [--json FILE] [--md FILE]

With no arguments it reads benchmarks/results/grid (written by benchmarks/grid_cpu.sh or benchmarks/device.sh) and
writes benchmarks/results/method_table.json and .md. The table is `spiketext.runs.reproduce.method_table` (see its
docstring); the JSON adds `complete`: every cell of both presets on all six data sets with at least 3 seeds and a
finished fine-tuning stage, and the list of cells still missing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from spiketext.runs.reproduce import DATASETS, method_markdown, method_table

RESULTS = Path(__file__).parent / "results"
PRESETS = ("paper", "efficient")


def missing_cells(table: dict, min_seeds: int = 3) -> list[str]:
    """The (preset, data set) cells without `min_seeds` seeds of a finished run."""
    out = []
    for preset in PRESETS:
        for dataset in DATASETS:
            row = table.get(preset, {}).get(dataset)
            if row is None or row["seeds"] < min_seeds or not row["complete"]:
                out.append(f"{preset}_{dataset}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="?", default=str(RESULTS / "grid"))
    ap.add_argument("--json", help="the table as JSON (default with no RUNS_DIR: results/method_table.json)")
    ap.add_argument("--md", help="the table as Markdown (default with no RUNS_DIR: results/method_table.md)")
    args = ap.parse_args()
    default = args.runs == str(RESULTS / "grid")
    table = method_table(Path(args.runs))
    text = method_markdown(table)
    missing = missing_cells(table)
    print(text)
    print(f"\ncells missing (< 3 seeds or unfinished): {', '.join(missing) or 'none'}")
    json_path = args.json or (RESULTS / "method_table.json" if default else None)
    md_path = args.md or (RESULTS / "method_table.md" if default else None)
    if json_path:
        doc = {"source": args.runs, "complete": not missing, "missing": missing, "table": table}
        Path(json_path).write_text(json.dumps(doc, indent=1) + "\n")
    if md_path:
        Path(md_path).write_text(text + f"\n\nCells missing: {', '.join(missing) or 'none'}.\n")


if __name__ == "__main__":
    main()
