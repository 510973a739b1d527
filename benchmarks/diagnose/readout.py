"""How each SNN of a run decides: its conv scale, firing rates, and how often its output layer decides nothing.

An SNN's class is the output population with the most spikes over T steps; where two classes tie (most often: no
output neuron fired at all) the first class wins (`inference.classify`, as torch's argmax). For each SNN of a run
folder (the plain copy, the model-based and data-based normalizations, the fine-tuned SNN) this prints the conv
layer's scale λ₁ (the CNN's conv weights over the SNN's, W₁' = W₁·θ/λ₁, models/convert.py; 1 for the plain copy),
every layer's firing rate on the test split at the checkpoint's T (one seeded draw, `api.energy`), and at each T
of `--steps`: the share of test sentences whose output is silent (no output spike) or tied, the share given the
most frequent class, and the test accuracy of that draw (`api.classify`, the run's first test seed); then the
SNN's and its CNN's accuracy on the sentences the SNN tied on and on the rest: the control for "the tied sentences
are merely the hard ones".

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/diagnose/readout.py runs/grid/paper_sst2/seed0 \
        runs/grid/paper_mr/seed0 --json benchmarks/results/readout/readout.json
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path
from typing import Any

import numpy as np

from spiketext import api
from spiketext.runs.saved import run_corpus, split_of

MODELS = (
    "snn_converted",
    "snn_converted_model_norm",
    "snn_converted_data_norm_max",
    "snn_converted_data_norm_p999",
    "snn_finetuned",
)


def scale(cnn: dict, snn: dict, model: str) -> float | None:
    """λ₁: the CNN's conv weights over the SNN's state dict (one number where the conversion scaled every filter
    alike)."""
    if model == "snn_finetuned":
        return None  # trained on: no longer a scaled copy
    ratios = [(cnn[k].abs().sum() / snn[k].abs().sum()).item() for k in cnn if k.startswith("convs.")]
    return float(np.mean(ratios))


def label(model: str) -> str:
    """snn_converted_data_norm_p999 -> data_norm_p999; snn_converted -> plain copy."""
    return model.removeprefix("snn_").replace("converted_", "").replace("converted", "plain copy")


def _acc(right: np.ndarray, mask: np.ndarray) -> float | None:
    return float(right[mask].mean()) if mask.any() else None


def decisions(snn: Any, texts: list[str], labels: np.ndarray, cnn_right: np.ndarray, seed: int, T: int) -> dict:
    """Silent / tied / majority shares and accuracy of one draw at T; the accuracy of the SNN and of its CNN
    (`cnn_right`: which sentences the CNN gets right) on the sentences the SNN tied on and on the rest (the
    control: are tied sentences lost, or merely hard?)."""
    out = api.classify(snn, texts, seed=seed, num_steps=T)
    preds = np.array([o["class_id"] for o in out])
    silent = np.array([not any(o["spike_counts"].values()) for o in out])
    tied = np.array([o["tie"] for o in out])
    right = preds == labels
    return {
        "num_steps": T,
        "silent": float(silent.mean()),
        "tied": float(tied.mean()),
        "majority_share": collections.Counter(preds.tolist()).most_common(1)[0][1] / len(preds),
        "acc": float(right.mean()),
        "acc_tied": _acc(right, tied),
        "acc_untied": _acc(right, ~tied),
        "cnn_acc_tied": _acc(cnn_right, tied),
        "cnn_acc_untied": _acc(cnn_right, ~tied),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path, help="run folders with their checkpoints (all SNNs: --baselines runs)")
    p.add_argument("--steps", type=int, nargs="+", default=[50, 200])
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    rows = []
    for run in args.runs:
        corpus, _ = run_corpus(run, None)
        test = split_of(corpus, "test")
        labels = np.asarray(test.labels)
        cnn = api.load_model(run, "cnn")
        cnn_right = np.array([o["class_id"] for o in api.classify(cnn, test.texts)]) == labels
        for model in MODELS:
            if not (run / "checkpoints" / f"{model}.json").is_file():
                continue  # a run without --baselines has only the plain copy and the fine-tuned SNN
            snn = api.load_model(run, model)
            report = api.energy(run, model=model)
            layers = {layer["name"]: layer["firing_rate"] for layer in report["snn"]["layers"]}
            row = {
                "run": str(run),
                "model": model,
                "lambda1": scale(cnn.model.state_dict(), snn.model.state_dict(), model),
                "num_steps": report["num_steps"],
                "conv_rate": float(np.mean([layers[k] for k in layers if k.startswith("conv")])),
                "pool_rate": layers["pool"],
                "output_rate": layers["fc"],
                "seed": report["seed"],
                "by_steps": [decisions(snn, test.texts, labels, cnn_right, report["seed"], T) for T in args.steps],
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\nfiring rates at T = {rows[0]['num_steps']}; one seeded Bernoulli draw of the test split\n")
    print("| run | SNN | λ₁ | conv rate | pool rate | output rate | " + " | ".join(
        f"T = {T}: silent / tied / majority class / test %" for T in args.steps) + " |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|" + "---:|" * len(args.steps))
    for r in rows:
        run = Path(r["run"])
        lam = f"{r['lambda1']:.2f}" if r["lambda1"] is not None else "–"
        rates = f"{r['conv_rate']:.5f} | {r['pool_rate']:.5f} | {r['output_rate']:.5f}"
        cells = " | ".join(
            f"{100 * d['silent']:.1f}% / {100 * d['tied']:.1f}% / {100 * d['majority_share']:.1f}% / "
            f"{100 * d['acc']:.2f}" for d in r["by_steps"]
        )  # fmt: skip
        print(f"| {run.parent.name}/{run.name} | {label(r['model'])} | {lam} | {rates} | {cells} |")
    print("\ntest accuracy (%) of the SNN and of its CNN on the sentences the SNN tied on (mostly: silent) and on the"
          " rest, at each T: SNN / CNN\n")  # fmt: skip
    print("| run | SNN | " + " | ".join(f"T = {T}: tied | T = {T}: the rest" for T in args.steps) + " |")
    print("|---|---|" + "---:|---:|" * len(args.steps))
    pct = lambda v: "–" if v is None else f"{100 * v:.1f}"  # noqa: E731
    for r in rows:
        run = Path(r["run"])
        cells = " | ".join(
            f"{pct(d['acc_tied'])} / {pct(d['cnn_acc_tied'])} | {pct(d['acc_untied'])} / {pct(d['cnn_acc_untied'])}"
            for d in r["by_steps"]
        )
        print(f"| {run.parent.name}/{run.name} | {label(r['model'])} | {cells} |")
    if args.json:
        args.json.write_text(json.dumps({"steps": args.steps, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
