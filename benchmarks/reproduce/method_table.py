"""The README's method table from committed run folders (default: the grid in benchmarks/results/grid).

    python benchmarks/reproduce/method_table.py [RUNS_DIR] [--json FILE] [--md FILE]
    python benchmarks/reproduce/method_table.py --summary      # the README's one table (both families, test %)

With no arguments it reads benchmarks/results/grid (written by benchmarks/reproduce/grid_cpu.sh or
benchmarks/device/device.sh) and
writes benchmarks/results/method_table.json and .md. The table is `spiketext.runs.reproduce.method_table` (see its
docstring); the JSON adds `complete`: every cell of both presets on all six data sets with at least 3 seeds and a
finished fine-tuning stage, and the list of cells still missing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from spiketext.runs.reproduce import DATASETS, method_markdown, method_table

RESULTS = Path(__file__).resolve().parents[1] / "results"
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


def transformer_rows(folder: Path) -> dict[str, dict[str, list[float]]]:
    """{row: {data set: [test % per seed]}} from the transformer grid's committed run folders (each stage's rows as
    far as they are done), and the SNN's energy ratios."""
    rows: dict[str, dict[str, list[float]]] = {}
    for path in sorted(folder.glob("*/seed*/results.json")):
        dataset, r = path.parent.parent.name, json.loads(path.read_text())
        for key in ("ann", "qann", "snn"):
            if key in r:
                rows.setdefault(key, {}).setdefault(dataset, []).append(100 * r[key]["test_acc"])
        if "energy" in r:
            rows.setdefault("energy", {}).setdefault(dataset, []).append(r["energy"]["ratio_all_ops"])
    return rows


def _cell(values: list[float] | None, digits: int = 2) -> str:
    if not values:
        return "–"
    mean = sum(values) / len(values)
    if len(values) == 1:
        return f"{mean:.{digits}f} (1 seed)"
    std = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    return f"{mean:.{digits}f} ± {std:.{digits}f}" + ("" if len(values) >= 3 else f" ({len(values)} seeds)")


def summary(table: dict, transformer: dict) -> str:
    """The README's one table: test % (mean ± sample std over 3 seeds unless marked), both model families."""
    from spiketext.runs.reproduce import PAPER

    lines = ["| test accuracy (%) | " + " | ".join(DATASETS) + " |", "|---|" + "---:|" * len(DATASETS)]
    lines.append("| paper's TextCNN / SNN (300d, test-selected) | " + " | ".join(
        f"{PAPER['cnn'][d]:.2f} / {PAPER['snn_finetuned'][d]:.2f}" for d in DATASETS) + " |")  # fmt: skip
    for preset, label in (("paper", "paper preset"), ("efficient", "efficient preset")):
        for key, what in (("cnn", "tailored CNN"), ("snn_finetuned", "SNN")):
            cells = []
            for d in DATASETS:
                row = table.get(preset, {}).get(d)
                if row is None or row.get(key) is None:
                    cells.append("–")
                elif row["seeds"] == 1:
                    cells.append(f"{row[key]:.2f} (1 seed)")
                else:
                    n = "" if row["seeds"] >= 3 else f" ({row['seeds']} seeds)"
                    cells.append(f"{row[key]:.2f} ± {row[f'{key}_std']:.2f}{n}")
            lines.append(f"| {label}: {what} | " + " | ".join(cells) + " |")
    energy = [table.get("efficient", {}).get(d, {}).get("energy_ratio") for d in DATASETS]
    lines.append("| efficient preset: E_SNN / E_CNN | " + " | ".join("–" if e is None else f"{e:.3f}" for e in energy)
                 + " |")  # fmt: skip
    for key, what in (("ann", "transformer: MiniLM ANN"), ("qann", "transformer: quantized ANN"),
                      ("snn", "transformer: spiking (T on dev)")):  # fmt: skip
        lines.append(f"| {what} | " + " | ".join(_cell(transformer.get(key, {}).get(d)) for d in DATASETS) + " |")
    lines.append("| transformer: E_SNN / E_ANN | " + " | ".join(
        _cell(transformer.get("energy", {}).get(d), 3) for d in DATASETS) + " |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="?", default=str(RESULTS / "grid"))
    ap.add_argument("--json", help="the table as JSON (default with no RUNS_DIR: results/method_table.json)")
    ap.add_argument("--md", help="the table as Markdown (default with no RUNS_DIR: results/method_table.md)")
    ap.add_argument("--summary", action="store_true", help="print the README's one table only")
    args = ap.parse_args()
    default = args.runs == str(RESULTS / "grid")
    table = method_table(Path(args.runs))
    if args.summary:
        print(summary(table, transformer_rows(RESULTS / "transformer")))
        return
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
