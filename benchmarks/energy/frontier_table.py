"""The energy–accuracy frontier (docs/reports/energy.md) from the committed sweeps, recomputed from every point's own
files.

    python benchmarks/energy/frontier_table.py [RESULTS_DIR] [--json FILE]     # the table
    python benchmarks/energy/frontier_table.py --select [--within 1.0]         # the setting a dev-only rule picks

RESULTS_DIR (default benchmarks/results) holds frontier/<data set>/ (codes × T, 3 seeds), dead_zone/<data set>/ and
dead_zone/t8_<data set>/ (the input dead zone δ, 3 seeds), each a sweep whose points/<name>/ hold point.json,
results.json and energy.json; frontier/quick_sst2/ (the paper's setting, one seed) and grid/efficient_<data set>/
(the efficient preset, 3 seeds: δ = 0). Every number is a mean over the seeds of one setting ± the sample std over
seeds; "SNN − its CNN" pairs each seed's SNN with the CNN of the same run (the same seed), so no setting is compared
with another recipe's CNN. Energies are the headline E_SNN / E_CNN (every operation of both models, windows touching
a real word, fp32), with both at int8, against a zero-skipping CNN and a CNN with low-bit activations, and the memory
verdict across the whole sweep: the fit through Horowitz's points from 8 KB to 1 MB and his own 8 KB and 1 MB points,
recomputed from each point's stored operations. Selection uses dev only: `--select` applies "the cheapest setting
whose mean SNN dev accuracy is within WITHIN points of the efficient preset's" and reports that pick's test numbers.

The sweeps were counted before two corrections of the accounting (a two-phase SNN's pool and output neurons charged
2T updates, not T; the zero-skipping CNN counting the quantized input it reads); the efficient preset's rows come
from the grid rerun with both. docs/reports/energy.md gives the size of the correction on the efficient preset.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from spiketext.energy.accounting import HOROWITZ_SRAM_64BIT_PJ, SRAM_SIZES, Ops, memory_ratio, sram_pj
from spiketext.runs.results import EnergySummary
from spiketext.stats import sample_std

DATASETS = ("sst2", "mr")
FP32 = (0.9, 4.6)


def _memory(reviewer: dict) -> dict[str, float]:
    snn, cnn = Ops(**reviewer["ops"]["snn"]), Ops(**reviewer["ops"]["cnn"])
    out = {f"fit_{s}": memory_ratio(snn, cnn, *FP32, sram_pj(SRAM_SIZES[s], 32)) for s in ("8KB", "1MB")}
    out |= {f"horowitz_{s}": memory_ratio(snn, cnn, *FP32, HOROWITZ_SRAM_64BIT_PJ[s] / 2) for s in ("8KB", "1MB")}
    return out


def run_record(folder: Path) -> dict:
    """One run's numbers: SNN test/dev, its CNN's test, the energy ratios and the memory verdicts."""
    results = json.loads((folder / "results.json").read_text())
    e = EnergySummary.from_json(results["energy"], str(folder / "results.json"))
    ft, cnn = results["snn_finetuned"], results["cnn"]
    report = json.loads((folder / "energy.json").read_text())
    return {
        "snn": 100 * ft["test_acc"],
        "snn_dev": 100 * ft["dev_acc"],
        "cnn": 100 * cnn["test_acc"],
        "ratio": e.headline,
        "ratio_int8": e.ratio_all_ops_int8,
        "ratio_zero_skip": e.ratio_zero_skip_cnn,
        "ratio_quantized": e.ratio_quantized_cnn,
        "spikes_per_unit": e.input_spikes_per_real_unit or e.input_spikes_per_unit,
        **_memory(report["reviewer"]),
    }


def _mean(values: Iterable[float | None]) -> float | None:
    v = [x for x in values if x is not None]
    return float(np.mean(v)) if v else None


def summarize(dataset: str, code: str, T: int, dead_zone: float, runs: list[dict]) -> dict:
    row = {"dataset": dataset, "code": code, "T": T, "dead_zone": dead_zone, "seeds": len(runs)}
    for key in runs[0]:
        row[key] = _mean(r[key] for r in runs)
    row["snn_std"] = sample_std([r["snn"] for r in runs])
    row["cnn_std"] = sample_std([r["cnn"] for r in runs])
    gaps = [r["snn"] - r["cnn"] for r in runs]
    row["gap"], row["gap_std"] = float(np.mean(gaps)), sample_std(gaps)
    return row


def sweep_rows(results: Path, folder: str) -> list[dict]:
    rows = []
    for path in sorted((results / folder).glob("*/sweep.json")):  # <data set>/ or <variant>_<data set>/
        dataset = path.parent.name.rsplit("_", 1)[-1]
        if dataset not in DATASETS:
            continue
        groups: dict[str, list[Path]] = {}
        for point in sorted((path.parent / "points").iterdir()):
            config = {k: v for k, v in json.loads((point / "point.json").read_text()).items() if k != "seed"}
            groups.setdefault(json.dumps(config, sort_keys=True), []).append(point)
        for points in groups.values():
            cfg = json.loads((points[0] / "config.json").read_text())  # the settings the grid did not vary too
            runs = [run_record(p) for p in points]
            code, T, dz = cfg["snn"]["encoder"], cfg["snn"]["num_steps"], cfg["data"].get("dead_zone", 0.0)
            rows.append(summarize(dataset, code, T, dz, runs))
    return rows


def preset_rows(results: Path) -> list[dict]:
    """The efficient preset (T = 16, TTFS, δ = 0) from the grid's seeds."""
    rows = []
    for dataset in DATASETS:
        seeds = sorted((results / "grid" / f"efficient_{dataset}").glob("seed*/results.json"))
        if seeds:
            runs = [run_record(p.parent) for p in seeds]
            rows.append(summarize(dataset, "ttfs (efficient preset)", 16, 0.0, runs))
    return rows


def paper_row(results: Path) -> list[dict]:
    """The paper's setting for comparison: the quick preset's SST-2 run (Bernoulli code, T = 50), one seed."""
    folder = results / "frontier" / "quick_sst2"
    if not (folder / "results.json").is_file():
        return []
    return [summarize("sst2", "bernoulli (the paper's setting, quick preset)", 50, 0.0, [run_record(folder)])]


def mark_pareto(rows: list[dict]) -> None:
    for dataset in {r["dataset"] for r in rows}:
        best = -1.0
        for r in sorted((r for r in rows if r["dataset"] == dataset), key=lambda r: (r["ratio"], -r["snn"])):
            r["pareto"] = r["snn"] > best
            best = max(best, r["snn"])


def _pm(mean: float, std: float | None) -> str:
    return f"{mean:.2f}" + (f" ± {std:.2f}" if std else "")


def _r(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def markdown(rows: list[dict]) -> str:
    lines = [
        "| data | code | T | δ | seeds | SNN test % | SNN dev % | its CNN % | SNN − its CNN | E/E_CNN | int8 | "
        "vs zero-skip CNN | vs low-bit CNN | memory 8 KB–1 MB (fit) | memory 8 KB / 1 MB (Horowitz) | "
        "input spikes/unit | Pareto |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['code']} | {r['T']} | {r['dead_zone']:g} | {r['seeds']} | "
            f"{_pm(r['snn'], r['snn_std'])} | {r['snn_dev']:.2f} | {_pm(r['cnn'], r['cnn_std'])} | "
            f"{_pm(round(r['gap'], 2) + 0.0, r['gap_std'])} | {_r(r['ratio'])} | {_r(r['ratio_int8'])} | "
            f"{_r(r['ratio_zero_skip'])} | {_r(r['ratio_quantized'])} | "
            f"{r['fit_8KB']:.2f}–{r['fit_1MB']:.2f} | {r['horowitz_8KB']:.2f} / {r['horowitz_1MB']:.2f} | "
            f"{_r(r['spikes_per_unit'])[:-1]} | {'✓' if r.get('pareto') else ''} |"
        )
    return "\n".join(lines)


def select(rows: list[dict], within: float) -> str:
    """The dev-only rule's pick per data set, with its test numbers against its own CNN."""
    lines = [
        f"The cheapest setting whose SNN dev accuracy is within {within:g} points of the efficient preset's "
        "(selected on dev only):",
        "",
        "| data | picked: code, T, δ | SNN dev % | SNN test % | SNN − its CNN | E/E_CNN | memory 8 KB–1 MB (fit) | "
        "memory 8 KB / 1 MB (Horowitz) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for dataset in DATASETS:
        preset = next((r for r in rows if r["dataset"] == dataset and "efficient" in r["code"]), None)
        if preset is None:
            continue
        ok = [
            r
            for r in rows
            if r["dataset"] == dataset and r["seeds"] >= 3 and r["snn_dev"] >= preset["snn_dev"] - within
        ]
        if not ok:
            lines.append(f"| {dataset} | no setting of 3 seeds within {within:g} dev points | | | | | | |")
            continue
        pick = min(ok, key=lambda r: r["ratio"])
        lines.append(
            f"| {dataset} | {pick['code']}, T = {pick['T']}, δ = {pick['dead_zone']:g} | {pick['snn_dev']:.2f} | "
            f"{_pm(pick['snn'], pick['snn_std'])} | {_pm(round(pick['gap'], 2) + 0.0, pick['gap_std'])} | "
            f"{pick['ratio']:.3f} | {pick['fit_8KB']:.2f}–{pick['fit_1MB']:.2f} | "
            f"{pick['horowitz_8KB']:.2f} / {pick['horowitz_1MB']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", default=str(Path(__file__).resolve().parents[1] / "results"))
    ap.add_argument("--json", help="also write the rows as JSON to this file")
    ap.add_argument("--select", action="store_true", help="print the dev-only rule's pick instead of the table")
    ap.add_argument("--within", type=float, default=1.0, help="dev points the rule allows below the efficient preset")
    args = ap.parse_args()
    results = Path(args.results)
    rows = (
        sweep_rows(results, "frontier") + preset_rows(results) + sweep_rows(results, "dead_zone") + paper_row(results)
    )
    mark_pareto(rows)
    rows.sort(key=lambda r: (r["dataset"] != "sst2", r["ratio"]))
    print(select(rows, args.within) if args.select else markdown(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
