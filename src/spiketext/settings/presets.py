"""Presets: named starting values for a run, and the one way a run's settings are built from them.

`build_run_config(preset, file, overrides)`: the preset, then a YAML/JSON file, then explicit overrides; the result
is a validated `RunConfig` (unknown keys are errors that name the key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spiketext.errors import SpiketextError
from spiketext.settings.config import RunConfig, deep_merge, from_dict, load_mapping

PRESETS: dict[str, dict[str, Any]] = {
    # The authors' training (design.md; reports/results.md, "Deviations"): the CNN for all 200 epochs at lr 1e-4 or
    # 5e-4 by data set, batch 32, AdamW without weight decay, the epoch chosen on dev (the authors chose it on test:
    # each epoch's test accuracy is recorded for that labelled comparison); plain conversion; T = 50; up to 30 SNN
    # epochs with the per-step loss at lr 1e-4, no weight decay, stopped after 5 epochs without a better dev
    # accuracy (on the SST-2 and MR dev curves the best dev epoch was 3 and 2 of 30 and no later epoch beat it;
    # `--set finetune.patience=null` runs all 30).
    "paper": {
        "cnn": {"patience": None, "weight_decay": 0.0, "record_test": True},
        "finetune": {"weight_decay": 0.0, "record_test": True, "patience": 5},
    },
    # spiketext's recipe (measured in the README): zero-mean filters and Binomial(T, e⁺)/T input noise for the
    # CNN at lr 1e-3; fine-tuning from the conversion (plain copy or a normalization) with the best dev accuracy,
    # on the T-averaged class scores (the quantity the prediction reads).
    "spiketext": {
        "model": {"zero_mean_filters": True},
        "cnn": {"epochs": 60, "patience": 10, "lr": 1e-3, "noise_steps": 50},
        "finetune": {"epochs": 10, "patience": 4, "lr": 3e-5, "loss": "count", "init": "dev", "dev_repeats": 3},
    },
    # A first look at SST-2 in about 10 minutes on 2 CPU cores: the spiketext recipe, shorter.
    "quick": {
        "model": {"zero_mean_filters": True},
        "cnn": {"epochs": 30, "patience": 8, "lr": 1e-3, "noise_steps": 50},
        "finetune": {"epochs": 3, "lr": 3e-5, "loss": "count", "init": "dev"},
        "test_repeats": 1,
    },
    # The SNN worth choosing (README, "Energy"): a QCFS CNN (Bu et al., ICLR 2022) with L = T levels on signed
    # inputs quantized to the code's levels; converted with θ = λ and membranes from θ/2; the input sent as one
    # time-to-first-spike per unit on two signed channels, which the first layer integrates for T = 16 steps and
    # then fires as a burst (T = 8 was 1.4 points short on MR); a non-spiking output layer read as its membrane;
    # three fine-tuning epochs kept only if they beat the converted model on dev. The quick preset's CNN budget.
    "efficient": {
        "model": {"zero_mean_filters": True, "activation": "qcfs", "levels": "T", "input_domain": "signed"},
        "cnn": {"epochs": 30, "patience": 8, "lr": 1e-3, "noise_steps": 0, "input_levels": "T"},
        "snn": {"num_steps": 16, "encoder": "ttfs", "init_membrane": 0.5, "readout": "membrane"},
        "finetune": {"epochs": 3, "lr": 3e-5, "loss": "count", "init": "qcfs"},
        "test_repeats": 1,
    },
    # The spiking transformer (docs/design.md §1.10, docs/reports/transformer.md): all-MiniLM-L6-v2 fine-tuned for up
    # to 3 epochs (dev-selected), quantized to 8 levels per sign (the attention probabilities to 64: with 8 most of
    # them round to 0; benchmarks/results/transformer_levels_sst2.json) and distilled from it for 3 epochs, run with
    # integrate-and-fire neurons for T = 1 … 32 steps and T chosen on dev. English data only.
    "transformer": {"family": "transformer", "transformer": {"attention_levels": 64}},
    # A first run of the same recipe: one epoch of each training stage, T up to 16.
    "transformer-quick": {
        "family": "transformer",
        "transformer": {"epochs": 1, "qat_epochs": 1, "max_steps": 16, "attention_levels": 64},
    },
}


def build_run_config(
    preset: str = "paper", file: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> RunConfig:
    """Preset, then a YAML/JSON file, then explicit overrides (nested dicts); unknown keys are errors."""
    if preset not in PRESETS:
        raise SpiketextError(f"setting preset: unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    merged: dict[str, Any] = deep_merge({"data": {}}, PRESETS[preset])
    if file is not None:
        merged = deep_merge(merged, load_mapping(file))
    merged = deep_merge(merged, overrides or {})
    return from_dict(RunConfig, merged, "config")
