"""Build the README's energy-frontier table from the committed sweeps (benchmarks/frontier.sh).

    python benchmarks/frontier_table.py [RESULTS_DIR] [--json FILE]

RESULTS_DIR (default benchmarks/results/frontier) holds one `spiketext sweep` folder per data set (sst2/, mr/,
each with sweep.json) and `spiketext run --seeds 3` folders efficient_<data set>/. Every number is a mean over
seeds (± the standard deviation over seeds); energies are E_SNN / E_CNN on the test set with every layer
counted: fp32 (synaptic ops), both models at int8, and memory-inclusive (fp32, every word read and written).
The targets of issue 11 compare against the spiketext preset's CNN (README, Results: SST-2 77.05, MR 74.48,
Subj 93.10, SST-5 39.86) and against each point's own CNN.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SPIKETEXT_CNN = {"sst2": 77.05, "mr": 74.48, "subj": 93.10, "sst5": 39.86}


def paper_setting(results: Path) -> dict | None:
    """The paper's setting for comparison: the quick preset's SST-2 run (Bernoulli code, T = 50), quick_sst2/."""
    path = results / "quick_sst2" / "results.json"
    if not path.is_file():
        return None
    r = json.loads(path.read_text())
    e = r["energy"]
    return {
        "dataset": "sst2",
        "snn": 100 * r["snn_finetuned"]["test_acc"],
        "cnn": 100 * r["cnn"]["test_acc"],
        "ratio": e["ratio"],
        "int8": e.get("ratio_int8_matched"),
        "memory": e.get("ratio_memory"),
        "with_draws": e.get("ratio_with_draws"),
        "spikes_per_unit": e["input_spikes_per_unit"],
    }


def frontier_rows(results: Path) -> list[dict]:
    rows = []
    for dataset in ("sst2", "mr"):
        path = results / dataset / "sweep.json"
        if not path.is_file():
            continue
        for g in json.loads(path.read_text())["groups"]:
            cfg = g["config"]
            rows.append(
                {
                    "dataset": dataset,
                    "code": cfg.get("snn.encoder", "?"),
                    "T": cfg.get("snn.num_steps"),
                    "seeds": g["n"],
                    "snn": 100 * g["test_acc"],
                    "snn_std": 100 * g.get("test_acc_std", 0.0),
                    "cnn": 100 * g["cnn_test_acc"],
                    "cnn_std": 100 * g.get("cnn_test_acc_std", 0.0),
                    "gap_own_cnn": 100 * (g["cnn_test_acc"] - g["test_acc"]),
                    "gap_spiketext_cnn": SPIKETEXT_CNN[dataset] - 100 * g["test_acc"],
                    "ratio": g["energy_ratio"],
                    "ratio_int8": g.get("energy_ratio_int8"),
                    "ratio_memory": g.get("energy_ratio_memory"),
                    "spikes_per_unit": g.get("input_spikes_per_unit"),
                    "pareto": g["pareto"],
                }
            )
    return rows


def preset_rows(results: Path) -> list[dict]:
    rows = []
    for folder in sorted(results.glob("efficient_*")):
        path = folder / "results.json"
        if not path.is_file():
            continue
        r = json.loads(path.read_text())
        dataset = folder.name.split("_", 1)[1]
        ft, cnn, e = r["snn_finetuned"], r["cnn"], r.get("energy", {})
        seeds = len(r.get("seeds", [r.get("seed")]))
        wall = None
        timing = folder.with_suffix(".time")
        if timing.is_file():
            for line in timing.read_text().splitlines():
                if "Elapsed (wall clock)" in line:
                    wall = line.rsplit(": ", 1)[1].strip()
        rows.append(
            {
                "dataset": dataset,
                "seeds": seeds,
                "snn": 100 * ft["test_acc"],
                "snn_std": 100 * ft.get("test_std", 0.0) if seeds > 1 else None,
                "cnn": 100 * cnn["test_acc"],
                "cnn_std": 100 * cnn.get("test_std", 0.0) if seeds > 1 else None,
                "gap_own_cnn": 100 * (cnn["test_acc"] - ft["test_acc"]),
                "gap_spiketext_cnn": SPIKETEXT_CNN.get(dataset, float("nan")) - 100 * ft["test_acc"],
                "ratio": e.get("ratio"),
                "ratio_int8": e.get("ratio_int8_matched"),
                "ratio_memory": e.get("ratio_memory"),
                "wall": wall,
            }
        )
    return rows


def _pm(mean: float, std: float | None) -> str:
    return f"{mean:.2f}" + (f" ± {std:.2f}" if std else "")


def _gap(x: float) -> str:
    return f"{round(x, 2) + 0.0:+.2f}"  # no "-0.00"


def _r(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def markdown(frontier: list[dict], presets: list[dict], paper: dict | None = None) -> str:
    lines = [
        "| data | code | T | seeds | SNN test % | its CNN % | below spiketext CNN | E/E_CNN fp32 | int8 | "
        "memory-incl. | input spikes/unit | Pareto |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in frontier:
        lines.append(
            f"| {r['dataset']} | {r['code']} | {r['T']} | {r['seeds']} | {_pm(r['snn'], r['snn_std'])} | "
            f"{_pm(r['cnn'], r['cnn_std'])} | {_gap(r['gap_spiketext_cnn'])} | {_r(r['ratio'])} | "
            f"{_r(r['ratio_int8'])} | {_r(r['ratio_memory'])} | {r['spikes_per_unit']:.2f} | "
            f"{'✓' if r['pareto'] else ''} |"
        )
    if paper is not None:
        lines.append(
            f"| sst2 | bernoulli (the paper's setting, quick preset) | 50 | 1 | {paper['snn']:.2f} | "
            f"{paper['cnn']:.2f} | {_gap(SPIKETEXT_CNN['sst2'] - paper['snn'])} | {_r(paper['ratio'])} | "
            f"{_r(paper['int8'])} | {_r(paper['memory'])} | {paper['spikes_per_unit']:.2f} | |"
        )
    if presets:
        lines += [
            "",
            "| `--preset efficient` | seeds | SNN test % | its CNN % | below its CNN | below spiketext CNN | "
            "E/E_CNN fp32 | int8 | memory-incl. | wall time (all its seeds) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in presets:
            lines.append(
                f"| {r['dataset']} | {r['seeds']} | {_pm(r['snn'], r['snn_std'])} | {_pm(r['cnn'], r['cnn_std'])} | "
                f"{_gap(r['gap_own_cnn'])} | {_gap(r['gap_spiketext_cnn'])} | {_r(r['ratio'])} | "
                f"{_r(r['ratio_int8'])} | {_r(r['ratio_memory'])} | {r['wall'] or ''} |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", default=str(Path(__file__).parent / "results" / "frontier"))
    ap.add_argument("--json", help="also write the rows as JSON to this file")
    args = ap.parse_args()
    results = Path(args.results)
    frontier, presets, paper = frontier_rows(results), preset_rows(results), paper_setting(results)
    print(markdown(frontier, presets, paper))
    if args.json:
        table = {"frontier": frontier, "presets": presets, "paper_setting": paper}
        Path(args.json).write_text(json.dumps(table, indent=1) + "\n")


if __name__ == "__main__":
    main()
