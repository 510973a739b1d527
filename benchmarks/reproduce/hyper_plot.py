"""The paper's hyper-parameter studies on SST-2: test accuracy against the membrane decay β (IF = 1, LIF < 1) and
against the number of output neurons per class, from the sweeps of `benchmarks/reproduce/hyperparameters.sh`.

    python benchmarks/reproduce/hyper_plot.py [RESULTS_DIR]    # default benchmarks/results/hyperparameters

Writes RESULTS_DIR/hyperparameters.{md,json,png}: per point the CNN, the converted SNN (fine-tuning's start) and
the dev-selected fine-tuned SNN (quick preset, T = 50, Bernoulli input, one seed).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from matplotlib.figure import Figure

STUDIES = (("beta_sst2", "snn.beta", "membrane decay β (1 = IF)"),
           ("neurons_sst2", "model.neurons_per_class", "output neurons per class"))  # fmt: skip


def rows(results: Path) -> dict[str, list[dict]]:
    out = {}
    for folder, key, _ in STUDIES:
        path = results / folder / "sweep.json"
        if path.is_file():
            points = json.loads(path.read_text())["points"]
            out[key] = sorted(
                (
                    {
                        key: p["config"][key],
                        "cnn": 100 * p["cnn_test_acc"],
                        "converted": 100 * p["converted_test_acc"],
                        "finetuned": 100 * p["test_acc"],
                        "energy_ratio": p["energy_ratio"],
                    }
                    for p in points
                ),
                key=lambda r: r[key],
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "results", nargs="?", default=str(Path(__file__).resolve().parents[1] / "results" / "hyperparameters")
    )
    results = Path(ap.parse_args().results)
    table = rows(results)
    fig = Figure(figsize=(10, 3.8))
    axes = fig.subplots(1, len(STUDIES))
    lines = []
    for ax, (_, key, label) in zip(axes, STUDIES, strict=True):
        r = table.get(key, [])
        xs = [p[key] for p in r]
        for field, style in (("cnn", "k--"), ("converted", "o:"), ("finetuned", "o-")):
            ax.plot(xs, [p[field] for p in r], style, label=field if field != "cnn" else "tailored CNN")
        ax.set(xlabel=label, ylabel="SST-2 test accuracy (%)")
        if key == "model.neurons_per_class":
            ax.set_xscale("log", base=2)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        lines += [f"| {label} | CNN % | converted % | fine-tuned % | E_SNN / E_CNN |", "|---:|---:|---:|---:|---:|"]
        lines += [
            f"| {p[key]} | {p['cnn']:.2f} | {p['converted']:.2f} | {p['finetuned']:.2f} | {p['energy_ratio']:.3f} |"
            for p in r
        ]
        lines.append("")
    fig.suptitle("SST-2, quick preset (T = 50, Bernoulli input), one seed", fontsize=9)
    fig.tight_layout()
    fig.savefig(results / "hyperparameters.png", dpi=110)
    (results / "hyperparameters.md").write_text("\n".join(lines))
    (results / "hyperparameters.json").write_text(json.dumps(table, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
