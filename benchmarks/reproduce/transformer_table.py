"""The spiking transformer's table, its accuracy against T and its cost, from the committed grid
(benchmarks/results/transformer/<data set>/seed<S>/, written by transformer_grid.py).

    python benchmarks/reproduce/transformer_table.py            # prints the tables, writes transformer_table.{md,json}
                                                               # and transformer_steps.png under benchmarks/results/

Every number is a mean ± sample std over the seeds there (test accuracy of the dev-selected epoch; the SNN at the
T chosen on dev). Beside them: the efficient TextCNN of the method table (same splits, 3 seeds) and the published
spiking language models, each with what it is (model size, split, T); their numbers are quoted, not rerun.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results"
DATASETS = ("sst2", "mr", "subj", "sst5")
STEPS_SHOWN = (1, 2, 4, 6, 8, 12, 16, 24, 32)
# Published numbers, quoted with what they are (SST-2 test has 1,821 sentences; GLUE's SST-2 dev 872).
ANCHORS = (
    ("SpikeBERT (Lv et al.)", {"sst2": 85.39, "mr": 80.69},
     "the same SST-2 / MR test splits; a Spikformer distilled from BERT"),
    ("SpikingBERT (Bal & Sengupta, AAAI 2024)", {"sst2": 88.19}, "GLUE SST-2 dev (872), not test"),
    ("SpikeZIP-TF (Tong et al., ICML 2024)", {"sst2": 93.79}, "a RoBERTa-scale model, SST-2"),
    ("SpikingJelly's transformer conversion", {"sst2": 92.43}, "SST-2 dev at T = 8; its docs: 'not an SNN'"),
)  # fmt: skip


def _mean_std(values: list[float]) -> tuple[float, float | None]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None


def _cell(values: list[float], digits: int = 2) -> str:
    if not values:
        return "–"
    mean, std = _mean_std(values)
    seeds = "" if len(values) >= 3 else f" ({len(values)} seed{'s' if len(values) > 1 else ''})"
    return (f"{mean:.{digits}f}" if std is None else f"{mean:.{digits}f} ± {std:.{digits}f}") + seeds


def read_runs(folder: Path) -> dict[str, list[dict]]:
    """{data set: [one dict per seed: results.json, snn_steps.json, energy.json (as far as the run got)]}."""
    out: dict[str, list[dict]] = {}
    for results in sorted(folder.glob("*/seed*/results.json")):
        run = {"seed": results.parent.name, "results": json.loads(results.read_text())}
        for name in ("snn_steps", "energy"):
            path = results.parent / f"{name}.json"
            if path.is_file():
                run[name] = json.loads(path.read_text())
        out.setdefault(results.parent.parent.name, []).append(run)
    return out


def efficient_textcnn() -> dict[str, list[float]]:
    """The efficient preset's SNN test % per seed from the method table's grid."""
    out: dict[str, list[float]] = {}
    for path in sorted((RESULTS / "grid").glob("efficient_*/seed*/results.json")):
        r = json.loads(path.read_text())
        if "snn_finetuned" in r:
            out.setdefault(path.parent.parent.name.split("_", 1)[1], []).append(100 * r["snn_finetuned"]["test_acc"])
    return out


def _mean_curve(curves: list[dict], key: str, scale: float = 1.0) -> list[float]:
    """The seeds' curves (each a value per T) averaged at every T all of them reached."""
    steps = min(len(c[key]) for c in curves)
    return [scale * statistics.fmean(c[key][t] for c in curves) for t in range(steps)]


def table(runs: dict[str, list[dict]]) -> dict:
    rows: dict = {}
    for dataset in DATASETS:
        seeds = runs.get(dataset, [])
        r = {k: [100 * s["results"][k]["test_acc"] for s in seeds if k in s["results"]] for k in ("ann", "qann", "snn")}
        r["dev"] = {
            k: [100 * s["results"][k]["dev_acc"] for s in seeds if k in s["results"]] for k in ("ann", "qann", "snn")
        }
        r["steps"] = [s["results"]["snn"]["num_steps"] for s in seeds if "snn" in s["results"]]
        both = [s for s in seeds if "snn" in s["results"]]
        r["snn_minus_qann"] = [100 * (s["results"]["snn"]["test_acc"] - s["results"]["qann"]["test_acc"]) for s in both]
        r["snn_minus_ann"] = [100 * (s["results"]["snn"]["test_acc"] - s["results"]["ann"]["test_acc"]) for s in both]
        r["energy"] = [s["energy"]["ratio_all_ops"] for s in seeds if "energy" in s]
        r["non_spiking_share"] = [100 * s["energy"]["non_spiking_share"] for s in seeds if "energy" in s]
        r["int8"] = [s["energy"]["ratio_int8"] for s in seeds if "energy" in s]
        r["low_bit"] = [s["energy"]["ratio_low_bit_qann"] for s in seeds if "energy" in s]
        memory = [s["energy"]["memory"] for s in seeds if "energy" in s]
        r["memory"] = {size: [m[size] for m in memory] for size in (memory[0] if memory else {})}
        r["seconds"] = {
            k: [s["results"][k]["seconds"] for s in seeds if k in s["results"] and "seconds" in s["results"][k]]
            for k in ("ann", "qann", "snn")
        }
        r["threads"] = sorted({s["results"][k].get("threads") for s in seeds for k in ("ann", "qann", "snn")
                               if k in s["results"] and s["results"][k].get("threads")})  # fmt: skip
        curves = [s["snn_steps"] for s in seeds if "snn_steps" in s]
        r["curve"] = {split: _mean_curve(curves, f"{split}_acc", 100) for split in ("dev", "test")} if curves else {}
        r["curve_energy"] = _mean_curve(curves, "energy_ratio_all_ops") if curves else []
        rows[dataset] = r
    return rows


def markdown(rows: dict) -> str:
    cnn = efficient_textcnn()
    lines = [
        "| test accuracy (%) | " + " | ".join(DATASETS) + " | what it is |",
        "|---|" + "---:|" * len(DATASETS) + "---|",
    ]
    for key, what in (
        ("ann", "MiniLM fine-tuned (ANN)"),
        ("qann", "quantized ANN (QANN)"),
        ("snn", "spiking transformer"),
    ):
        lines.append(
            f"| {what} | " + " | ".join(_cell(rows[d][key]) for d in DATASETS) + " | 22.7 M parameters, this repo |"
        )
    lines.append(
        "| T chosen on dev | "
        + " | ".join(",".join(map(str, rows[d]["steps"])) or "–" for d in DATASETS)
        + " | per seed |"
    )
    lines.append(
        "| SNN − QANN (points) | "
        + " | ".join(_cell(rows[d]["snn_minus_qann"]) for d in DATASETS)
        + " | conversion error |"
    )
    lines.append("| SNN − ANN (points) | " + " | ".join(_cell(rows[d]["snn_minus_ann"]) for d in DATASETS) + " | |")
    lines.append(
        "| efficient TextCNN SNN | "
        + " | ".join(_cell(cnn.get(d, [])) for d in DATASETS)
        + " | 50-d GloVe, this repo |"
    )
    for name, values, what in ANCHORS:
        lines.append(
            f"| {name} | " + " | ".join(f"{values[d]:.2f}" if d in values else "–" for d in DATASETS) + f" | {what} |"
        )
    lines += ["", "| energy (test split, every operation on real tokens) | " + " | ".join(DATASETS) + " |",
              "|---|" + "---:|" * len(DATASETS)]  # fmt: skip
    lines.append("| **E_SNN / E_ANN (fp32)** | " + " | ".join(_cell(rows[d]["energy"], 3) for d in DATASETS) + " |")
    lines.append("| E_SNN / E_ANN, both in int8 | " + " | ".join(_cell(rows[d]["int8"], 3) for d in DATASETS) + " |")
    lines.append(
        "| E_SNN / E_QANN at ⌈log₂(T+1)⌉ bits | " + " | ".join(_cell(rows[d]["low_bit"], 3) for d in DATASETS) + " |"
    )
    lines.append(
        "| non-spiking share of E_SNN (%) | "
        + " | ".join(_cell(rows[d]["non_spiking_share"], 1) for d in DATASETS)
        + " |"
    )
    sizes = next((list(rows[d]["memory"]) for d in DATASETS if rows[d]["memory"]), [])
    for size in sizes:
        lines.append(
            f"| with memory, SRAM {size} | "
            + " | ".join(_cell(rows[d]["memory"].get(size, []), 3) for d in DATASETS)
            + " |"
        )
    head = " | ".join(f"T={t}" for t in STEPS_SHOWN)
    lines += ["", f"| against T (test split, mean over seeds) | {head} |", "|---|" + "---:|" * len(STEPS_SHOWN)]
    for d in DATASETS:
        curve, energy = rows[d]["curve"].get("test", []), rows[d]["curve_energy"]
        if curve:
            lines.append(
                f"| {d}: accuracy (%) | "
                + " | ".join(f"{curve[t - 1]:.2f}" if t <= len(curve) else "–" for t in STEPS_SHOWN)
                + " |"
            )
        if energy:  # what each T costs: the headline ratio grows with every step the SNN runs
            lines.append(
                f"| {d}: E_SNN / E_ANN | "
                + " | ".join(f"{energy[t - 1]:.3f}" if t <= len(energy) else "–" for t in STEPS_SHOWN)
                + " |"
            )
    lines += ["", "| cost per seed (s of wall time; threads) | ANN | QANN | SNN (T = 1 … max, dev + test, energy) |",
              "|---|---:|---:|---:|"]  # fmt: skip
    for d in DATASETS:
        s = rows[d]["seconds"]
        if any(s.values()):
            threads = ",".join(map(str, rows[d]["threads"])) or "?"
            lines.append(
                f"| {d} ({threads} thread{'s' if threads != '1' else ''}) | "
                + " | ".join(_cell(s[k], 0) for k in ("ann", "qann", "snn"))
                + " |"
            )
    lines += ["", "Stage records written before 2026-12-08 by a run that did several stages in one process include the "
              "stages they triggered (the QANN's the ANN's, the SNN's both): there the columns are cumulative, upper "
              "bounds on a stage's own cost; since then every stage times itself alone."]  # fmt: skip
    return "\n".join(lines)


def figure(rows: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    from spiketext.viz import save_figure

    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for d in DATASETS:
        curve = rows[d]["curve"].get("test")
        if curve:
            line = ax.plot(range(1, len(curve) + 1), curve, label=f"{d} SNN")[0]
            if rows[d]["qann"]:
                ax.axhline(statistics.fmean(rows[d]["qann"]), color=line.get_color(), ls=":", lw=1)
    ax.set_xlabel("T (time steps)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("spiking transformer against T (dotted: its QANN; dashed: E_SNN / E_ANN)")
    ax.legend(fontsize=8, loc="lower center")
    energy = ax.twinx()  # what each T costs, on its own axis: above 1 the SNN loses to its ANN
    for d in DATASETS:
        if rows[d]["curve_energy"]:
            energy.plot(range(1, len(rows[d]["curve_energy"]) + 1), rows[d]["curve_energy"], ls="--", lw=1)
    energy.axhline(1.0, color="grey", lw=0.5)
    energy.set_ylabel("E_SNN / E_ANN (fp32, compute)")
    save_figure(fig, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", nargs="?", default=str(RESULTS / "transformer"))
    args = p.parse_args()
    rows = table(read_runs(Path(args.folder)))
    md = markdown(rows)
    print(md)
    (RESULTS / "transformer_table.md").write_text(md + "\n")
    (RESULTS / "transformer_table.json").write_text(json.dumps(rows, indent=1) + "\n")
    figure(rows, RESULTS / "transformer_steps.png")


if __name__ == "__main__":
    main()
