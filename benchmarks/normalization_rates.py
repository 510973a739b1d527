"""Why a conversion scores what it does: each converted SNN's scale, firing rates and predicted classes at T = 50.

The ablation rows of the method table put the model-based normalization at chance (SST-2 50.08, MR 50.00). This
reads a run folder's converted SNNs (plain copy, model-based, data-based max and 99.9th percentile) and prints,
for each, the conv layer's scale λ₁ (the CNN's conv weights over the SNN's: W₁' = W₁·θ/λ₁, models/convert.py),
the firing rate of every layer on the test split (one seeded draw, `api.energy`), the output spikes per sentence,
the share of sentences given the most frequent class and the test accuracy of that draw (`api.classify`).

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/normalization_rates.py runs/grid/paper_sst2/seed0 \
        runs/grid/paper_mr/seed0 --json benchmarks/results/normalization_rates.json
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

import numpy as np

from spiketext import api
from spiketext.saved import run_corpus, split_of

MODELS = ("snn_converted", "snn_converted_model_norm", "snn_converted_data_norm_max", "snn_converted_data_norm_p999")


def scale(run: Path, model: str) -> float:
    """λ₁: the CNN's conv weights over the converted SNN's (one number: the normalization scales every filter)."""
    cnn = api.load_model(run, "cnn").model.state_dict()
    snn = api.load_model(run, model).model.state_dict()
    ratios = [(cnn[k].abs().sum() / snn[k].abs().sum()).item() for k in cnn if k.startswith("convs.")]
    return float(np.mean(ratios))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path, help="run folders with their checkpoints (--baselines runs)")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    rows = []
    for run in args.runs:
        corpus, cfg = run_corpus(run, None)
        test = split_of(corpus, "test")
        for model in MODELS:
            report = api.energy(run, model=model)
            layers = {layer["name"]: layer["firing_rate"] for layer in report["snn"]["layers"]}
            bundle = api.load_model(run, model)
            preds = [p["class_id"] for p in api.classify(bundle, test.texts, seed=report["seed"])]
            row = {
                "run": str(run),
                "model": model,
                "lambda1": scale(run, model),
                "conv_rate": float(np.mean([layers[k] for k in layers if k.startswith("conv")])),
                "pool_rate": layers["pool"],
                "output_rate": layers["fc"],
                "majority_share": collections.Counter(preds).most_common(1)[0][1] / len(preds),
                "acc": float(np.mean(np.array(preds) == test.labels)),
                "seed": report["seed"],
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\nT = 50, one seeded Bernoulli draw of the test split; λ₁ = 1 is the plain copy\n")
    head = "| run | conversion | λ₁ | conv firing rate | pool rate | output rate | given the majority class | test % |"
    print(head)
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        name = r["model"].removeprefix("snn_converted").lstrip("_") or "plain copy"
        run = Path(r["run"])
        rates = f"{r['conv_rate']:.5f} | {r['pool_rate']:.5f} | {r['output_rate']:.5f}"
        share = f"{100 * r['majority_share']:.1f}%"
        acc = f"{100 * r['acc']:.2f}"
        print(f"| {run.parent.name}/{run.name} | {name} | {r['lambda1']:.2f} | {rates} | {share} | {acc} |")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
