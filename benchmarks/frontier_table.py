"""Build the README's energy-frontier table from the committed sweeps (benchmarks/frontier.sh, dead_zone.sh).

    python benchmarks/frontier_table.py [RESULTS_DIR] [--json FILE]

RESULTS_DIR (default benchmarks/results) holds frontier/<data set>/sweep.json (codes × T, 3 seeds),
dead_zone/<data set>/sweep.json (the input dead zone δ, 3 seeds), frontier/quick_sst2/ (the paper's setting) and
grid/efficient_<data set>/ (the efficient preset, 3 seeds: δ = 0). Every number is a mean over seeds (± the std
over seeds); SNN dev accuracies are given beside test (every recipe choice is made on dev). Energies are
E_SNN / E_CNN on the test set in the reviewer's accounting (spiketext.accounting: both models on windows touching
a real word, every operation; fp32), with both at int8, against a zero-skipping CNN and a CNN with low-bit
activations, memory-inclusive at a 32 KB SRAM, and the first accounting (synaptic ops only, padded CNN) for
comparison. A row whose runs predate the reviewer's accounting is marked "first accounting". The Pareto mark
(per data set) is on the reviewer's ratio. "below spiketext CNN" compares with the spiketext preset's CNN (one seed,
README Results: SST-2 77.05, MR 74.48).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SPIKETEXT_CNN = {"sst2": 77.05, "mr": 74.48, "subj": 93.10, "sst5": 39.86}


def _energy(e: dict) -> dict:
    reviewer = e.get("accounting") == "reviewer"
    return {
        "accounting": "reviewer" if reviewer else "first",
        "ratio": e.get("ratio_all_ops") if reviewer else e.get("ratio"),
        "ratio_int8": e.get("ratio_all_ops_int8") if reviewer else e.get("ratio_int8_matched"),
        "ratio_zero_skip": e.get("ratio_zero_skip_cnn"),
        "ratio_quantized": e.get("ratio_quantized_cnn"),
        "memory_32KB": (e.get("ratio_memory_sram") or {}).get("32KB"),
        "first_accounting": e.get("ratio"),
        "spikes_per_unit": e.get("input_spikes_per_unit"),
    }


def paper_setting(results: Path) -> dict | None:
    """The paper's setting for comparison: the quick preset's SST-2 run (Bernoulli code, T = 50), quick_sst2/."""
    path = results / "frontier" / "quick_sst2" / "results.json"
    if not path.is_file():
        return None
    r = json.loads(path.read_text())
    return {
        "dataset": "sst2", "code": "bernoulli (the paper's setting, quick preset)", "T": 50, "dead_zone": 0.0,
        "seeds": 1, "snn": 100 * r["snn_finetuned"]["test_acc"], "snn_std": None,
        "snn_dev": 100 * r["snn_finetuned"]["dev_acc"], "cnn": 100 * r["cnn"]["test_acc"], "cnn_std": None,
        "gap_spiketext_cnn": SPIKETEXT_CNN["sst2"] - 100 * r["snn_finetuned"]["test_acc"], "pareto": False,
        **_energy(r["energy"]),
    }  # fmt: skip


def sweep_rows(results: Path, folder: str) -> list[dict]:
    rows = []
    paths = sorted((results / folder).glob("*/sweep.json"))
    for path in paths:  # <data set>/ or <variant>_<data set>/ (e.g. t8_sst2: the dead zone at T = 8)
        dataset = path.parent.name.rsplit("_", 1)[-1]
        if dataset not in SPIKETEXT_CNN:
            continue
        summary = json.loads(path.read_text())
        # settings the grid did not vary (e.g. --set snn.num_steps=8) are read from a point's own config
        run_cfg = json.loads((path.parent / summary["points"][0]["run"] / "config.json").read_text())
        fixed = {"snn.encoder": run_cfg["snn"]["encoder"], "snn.num_steps": run_cfg["snn"]["num_steps"],
                 "data.dead_zone": run_cfg["data"].get("dead_zone", 0.0)}  # fmt: skip
        for g in summary["groups"]:
            cfg = {**fixed, **g["config"]}
            first = g.get("energy_accounting", "first").startswith("first")
            rows.append(
                {
                    "dataset": dataset,
                    "code": cfg.get("snn.encoder", "ttfs"),
                    "T": cfg.get("snn.num_steps", 16),
                    "dead_zone": cfg.get("data.dead_zone", 0.0),
                    "seeds": g["n"],
                    "snn": 100 * g["test_acc"],
                    "snn_std": 100 * g.get("test_acc_std", 0.0),
                    "snn_dev": 100 * g["dev_acc"] if g.get("dev_acc") is not None else None,
                    "cnn": 100 * g["cnn_test_acc"],
                    "cnn_std": 100 * g.get("cnn_test_acc_std", 0.0),
                    "gap_spiketext_cnn": SPIKETEXT_CNN[dataset] - 100 * g["test_acc"],
                    "accounting": "first" if first else "reviewer",
                    "ratio": g["energy_ratio"],
                    "ratio_int8": g.get("energy_ratio_int8") if first else g.get("energy_ratio_all_ops_int8"),
                    "ratio_zero_skip": g.get("energy_ratio_zero_skip_cnn"),
                    "ratio_quantized": g.get("energy_ratio_quantized_cnn"),
                    "memory_32KB": g.get("energy_ratio_memory_32KB"),
                    "first_accounting": g.get("energy_ratio_synaptic_only", g["energy_ratio"] if first else None),
                    "spikes_per_unit": g.get("input_spikes_per_unit"),
                }
            )
    return rows


def preset_rows(results: Path) -> list[dict]:
    """The efficient preset (T = 16, TTFS, δ = 0) from the grid's 3-seed groups."""
    rows = []
    for dataset in ("sst2", "mr"):
        path = results / "grid" / f"efficient_{dataset}" / "results.json"
        if not path.is_file():
            continue
        r = json.loads(path.read_text())
        ft, cnn = r["snn_finetuned"], r["cnn"]
        rows.append(
            {
                "dataset": dataset, "code": "ttfs (efficient preset)", "T": 16, "dead_zone": 0.0,
                "seeds": len(r.get("seeds", [0])), "snn": 100 * ft["test_acc"], "snn_std": 100 * ft["test_std"],
                "snn_dev": 100 * ft["dev_acc"], "cnn": 100 * cnn["test_acc"], "cnn_std": 100 * cnn["test_std"],
                "gap_spiketext_cnn": SPIKETEXT_CNN[dataset] - 100 * ft["test_acc"], **_energy(r.get("energy", {})),
            }
        )  # fmt: skip
    return rows


def mark_pareto(rows: list[dict]) -> None:
    for dataset in {r["dataset"] for r in rows}:
        best = -1.0
        for r in sorted((r for r in rows if r["dataset"] == dataset and r["ratio"] is not None),
                        key=lambda r: (r["ratio"], -r["snn"])):  # fmt: skip
            r["pareto"] = r["snn"] > best
            best = max(best, r["snn"])


def _pm(mean: float, std: float | None) -> str:
    return f"{mean:.2f}" + (f" ± {std:.2f}" if std else "")


def _gap(x: float) -> str:
    return f"{round(x, 2) + 0.0:+.2f}"  # no "-0.00"


def _r(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def markdown(rows: list[dict]) -> str:
    lines = [
        "| data | code | T | δ | seeds | SNN test % | SNN dev % | its CNN % | below spiketext CNN | E/E_CNN | int8 | "
        "vs zero-skip CNN | vs low-bit CNN | memory 32 KB | first accounting | input spikes/unit | Pareto |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in rows:
        note = " (first accounting)" if r["accounting"] == "first" else ""
        dev = "" if r.get("snn_dev") is None else f"{r['snn_dev']:.2f}"
        spikes = "" if r.get("spikes_per_unit") is None else f"{r['spikes_per_unit']:.2f}"
        lines.append(
            f"| {r['dataset']} | {r['code']} | {r['T']} | {r['dead_zone']:g} | {r['seeds']} | "
            f"{_pm(r['snn'], r['snn_std'])} | {dev} | {_pm(r['cnn'], r['cnn_std'])} | "
            f"{_gap(r['gap_spiketext_cnn'])} | {_r(r['ratio'])}{note} | {_r(r['ratio_int8'])} | "
            f"{_r(r['ratio_zero_skip'])} | {_r(r['ratio_quantized'])} | {_r(r['memory_32KB'])} | "
            f"{_r(r['first_accounting'])} | {spikes} | {'✓' if r.get('pareto') else ''} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", default=str(Path(__file__).parent / "results"))
    ap.add_argument("--json", help="also write the rows as JSON to this file")
    args = ap.parse_args()
    results = Path(args.results)
    rows = sweep_rows(results, "frontier") + preset_rows(results) + sweep_rows(results, "dead_zone")
    paper = paper_setting(results)
    rows += [paper] if paper else []
    mark_pareto([r for r in rows if r["accounting"] == "reviewer"])
    rows.sort(key=lambda r: (r["dataset"] != "sst2", r["ratio"] if r["ratio"] is not None else 9))
    print(markdown(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
