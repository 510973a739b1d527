"""Typed, self-validating settings (litgpt-style dataclasses); load and save as YAML or JSON.

Every setting lives in a dataclass that checks itself in `__post_init__`. Unknown or mistyped keys are errors
that name the key, where it came from, and the closest valid name. This module imports no torch, so the CLI
can parse and validate a configuration before paying for the heavy imports.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from spiketext.errors import SpiketextError
from spiketext.settings.data import (
    BUILTIN_DATASETS,
    CACHE_DIR_ENV,
    CHINESE_DATASETS,
    DATA_DIR_ENV,
    DEFAULT_ENGLISH_EMBEDDINGS,
    DEFAULT_READ,
    DEFAULT_SKIPGRAM,
    DEFAULT_SPLIT,
    ENGLISH_DATASETS,
    MAX_REPEATS,
    MAX_TOKENS,
    TRAINED_EMBEDDINGS,
    DataConfig,
    Language,
    ReadOptions,
    SkipgramSettings,
    SplitSettings,
    _check,
    resolve_cache_dir,
)
from spiketext.settings.typed import choices, deep_merge, from_dict, load_mapping, parse_override, set_nested, to_dict

# re-exported: the data settings (spiketext.settings.data) and the typed helpers (spiketext.settings.typed)
__all__ = [
    "BUILTIN_DATASETS", "CACHE_DIR_ENV", "CHINESE_DATASETS", "DATA_DIR_ENV", "DEFAULT_ENGLISH_EMBEDDINGS",
    "DEFAULT_READ", "DEFAULT_SKIPGRAM", "DEFAULT_SPLIT", "ENGLISH_DATASETS", "MAX_REPEATS", "MAX_TOKENS",
    "TRAINED_EMBEDDINGS", "DataConfig", "Language", "ReadOptions", "SkipgramSettings", "SplitSettings", "choices",
    "deep_merge", "from_dict", "load_mapping", "parse_override", "resolve_cache_dir", "set_nested", "to_dict",
]  # fmt: skip

# --- option lists. A component's name is not one of these: components (codes, surrogates, activations, readouts,
# losses, normalizations, model kinds and families, attacks, victims, similarities, executors) register themselves
# where they are defined, and a setting naming one holds a plain string, checked against its registry when the run
# is built (spiketext.runs.ledger.check_components) or a checkpoint is read.
Reset = Literal["subtract", "zero"]
Precision = Literal["auto", "bf16", "fp32"]
Costs = Literal["fp32", "fp16", "int8"]
VictimMode = Literal["expected", "fixed", "average"]
Sample = Literal["first", "random"]
SplitName = Literal["train", "dev", "test"]


@dataclass
class ModelConfig:
    """The tailored TextCNN and its SNN twin (docs/design.md §1.2-1.3)."""

    num_filters: int = 100
    kernel_sizes: list[int] = dataclasses.field(default_factory=lambda: [3, 4, 5])
    neurons_per_class: int = 10
    dropout: float = 0.5
    zero_mean_filters: bool = False  # W = V − mean(V) per filter while training the CNN (docs/design.md §4)
    # qcfs: ReLU replaced by λ·clip(⌊a·L/λ + ½⌋/L, 0, 1) with a trainable λ, and the pooled average quantized to
    # the same L levels: the CNN then computes what an IF network with T = L steps computes (convert with qcfs)
    activation: str = "relu"  # a registered activation (spiketext.core.models.architecture.ACTIVATIONS)
    levels: int | Literal["T"] = "T"  # L of the qcfs activation; "T": snn.num_steps
    # What both models read: positive e⁺ (the paper), or signed s = 2e⁺ − 1 with padding 0, sent by the SNN on
    # two channels (spikes of ±1) at about half the spikes per unit; the CNN is trained on s (spiketext.core.codes)
    input_domain: str = "positive"  # a registered input domain (spiketext.core.codes.DOMAINS)

    def __post_init__(self) -> None:
        _check(self.num_filters >= 1, "model.num_filters", f"{self.num_filters} must be >= 1")
        _check(bool(self.kernel_sizes) and min(self.kernel_sizes) >= 1, "model.kernel_sizes", "give sizes >= 1")
        _check(self.neurons_per_class >= 1, "model.neurons_per_class", f"{self.neurons_per_class} must be >= 1")
        _check(0 <= self.dropout < 1, "model.dropout", f"{self.dropout} must lie in [0, 1)")
        _check(self.levels == "T" or self.levels >= 1, "model.levels", f"{self.levels} must be >= 1 or 'T'")


@dataclass(frozen=True)
class SNNConfig:
    """Spiking neurons and the input code (docs/design.md §1.3): the one value the SNN, its LIF layers and its
    checkpoint's "snn" mapping share. Validated here, once, however it is built (settings, a checkpoint, code)."""

    num_steps: int = 50  # T
    beta: float = 1.0  # membrane decay; 1 = integrate-and-fire
    threshold: float = 1.0  # θ
    reset: Reset = "subtract"
    surrogate: str = "fast_sigmoid"  # a registered surrogate gradient (spiketext.core.neurons.SURROGATES)
    slope: float = 25.0  # k of the surrogate
    # a registered input code (spiketext.core.codes.CODES): bernoulli (the paper) | regular (deterministic, even
    # spikes) | ttfs (one spike, held current)
    encoder: str = "bernoulli"
    # α: the input spike rate is α·e⁺ (the conversion divides the conv weights by α, keeping the expected
    # currents). α < 1 cuts the input layer's synaptic operations, most of the SNN's energy, by the factor α.
    input_scale: float = 1.0
    # σ of Gaussian noise added to each word unit's domain value before coding (a dithered input: the model is
    # then stochastic whatever its code; one normal draw per unit and sentence, counted by the energy report).
    # The tailored CNN trains on the same dithered input (spiketext.core.frontend.FrontEnd.of_cnn).
    input_noise: float = 0.0
    init_membrane: float = 0.0  # U[0] as a fraction of θ: 0 (the paper) or 0.5 (QCFS: spike counts round, not floor)
    # a registered readout (spiketext.core.models.spiking.READOUTS): spikes (output spike counts, the paper) or
    # membrane (summed output currents)
    readout: str = "spikes"

    def __post_init__(self) -> None:
        _check(self.num_steps >= 1, "snn.num_steps", f"{self.num_steps} must be >= 1")
        _check(0 <= self.init_membrane < 1, "snn.init_membrane", f"{self.init_membrane} must lie in [0, 1)")
        _check(0 < self.input_scale <= 1, "snn.input_scale", f"{self.input_scale} must lie in (0, 1]")
        _check(0 <= self.input_noise < 10, "snn.input_noise", f"{self.input_noise} must lie in [0, 10) (0: none)")
        _check(0 < self.beta <= 1, "snn.beta", f"{self.beta} must lie in (0, 1]")
        _check(self.threshold > 0, "snn.threshold", f"{self.threshold} must be > 0")
        _check(self.slope > 0, "snn.slope", f"{self.slope} must be > 0")
        _check(self.reset in choices(Reset), "snn.reset", f"{self.reset!r} is not one of {', '.join(choices(Reset))}")


def check_kernels(kernel_sizes: list[int], max_len: int) -> None:
    """Every convolution window must fit in the L tokens of a sentence."""
    _check(
        max(kernel_sizes) <= max_len,
        "model.kernel_sizes",
        f"a kernel of {max(kernel_sizes)} tokens is longer than the sentence length L = {max_len} (data.max_len); "
        f"use kernel sizes <= {max_len} or a larger data.max_len",
    )


def _check_weight_decay(section: str, weight_decay: float, lr: float | None) -> None:
    # AdamW's decoupled decay multiplies every weight by 1 − lr·wd per step: at lr·wd >= 1 it zeroes or flips them
    _check(weight_decay >= 0, f"{section}.weight_decay", f"{weight_decay} must be >= 0 (0: no weight decay)")
    rate = lr if lr is not None else max(PAPER_CNN_LR.values())
    _check(
        rate * weight_decay < 1,
        f"{section}.weight_decay",
        f"{weight_decay} with lr {rate:g} shrinks every weight by a factor 1 − lr·wd = {1 - rate * weight_decay:g} "
        "per step (AdamW), which zeroes or flips them; use a weight decay below 1/lr (0.01 is usual)",
    )


# Paper learning rates for the CNN (docs/design.md §1.2), by data set.
PAPER_CNN_LR = {"sst2": 1e-4, "sst5": 1e-4, "mr": 1e-4, "subj": 5e-4, "chnsenti": 5e-4, "waimai": 5e-4}


@dataclass
class CNNTrainConfig:
    """Training the tailored CNN; the epoch is chosen on dev, training stops after `patience` stale epochs."""

    epochs: int = 200
    patience: int | None = 20
    lr: float | None = None  # None: the paper's per-data-set value, 1e-4 for own data
    weight_decay: float = 0.01
    batch_size: int = 32
    # > 0: train on Binomial(n, e⁺)/n rates, the noise the SNN will see (docs/design.md §4); "T": n = snn.num_steps,
    # so that a CNN meant for a low-T SNN learns exactly the rate quantization of its T steps.
    noise_steps: int | str = 0
    # > 0: train on inputs quantized to n + 1 levels, ⌊n·e⁺ + ½⌋/n: exactly what the regular code delivers in n
    # steps; "T": n = snn.num_steps
    input_levels: int | Literal["T"] = 0
    # Also record each epoch's test accuracy in metrics.jsonl: the authors' selection (best test epoch), reported
    # only as a labelled secondary number, never used to select.
    record_test: bool = False

    def __post_init__(self) -> None:
        _check(self.epochs >= 1, "cnn.epochs", f"{self.epochs} must be >= 1")
        _check(self.patience is None or self.patience >= 1, "cnn.patience", "must be >= 1 or null")
        _check(self.lr is None or self.lr > 0, "cnn.lr", f"{self.lr} must be > 0")
        _check_weight_decay("cnn", self.weight_decay, self.lr)
        _check(self.batch_size >= 1, "cnn.batch_size", f"{self.batch_size} must be >= 1")
        _check(self.input_levels == "T" or self.input_levels >= 0, "cnn.input_levels", "must be >= 0 or 'T'")
        ok = self.noise_steps == "T" or (isinstance(self.noise_steps, int) and self.noise_steps >= 0)
        _check(ok, "cnn.noise_steps", f"{self.noise_steps!r} must be an integer >= 0 or 'T' (= snn.num_steps)")


@dataclass
class FinetuneConfig:
    """Surrogate-gradient fine-tuning of the converted SNN (BPTT through T steps)."""

    epochs: int = 30
    patience: int | None = None
    lr: float = 1e-4
    weight_decay: float = 0.01
    batch_size: int = 32
    num_steps: int | None = None  # T while fine-tuning; None: snn.num_steps
    dev_repeats: int = 1  # Bernoulli draws per dev evaluation (same seeds every epoch: a paired comparison)
    # a registered loss (spiketext.core.models.spiking.LOSSES): rate (per-step CE averaged over T, the paper) or
    # count (CE on the T-averaged class scores)
    loss: str = "rate"
    # The conversion fine-tuning starts from: none (the plain copy; "converted" is an older name for it),
    # data_p999 / data_max / model (normalized conversion), qcfs (a QCFS-trained CNN, θ = λ), or dev: the one of
    # these with the best dev accuracy (`RunConfig.finetune_starts`; a tie goes to the earlier candidate).
    init: str = "none"  # a registered normalization (spiketext.core.models.convert.NORMALIZATIONS), or "dev"
    # The starting (converted) model is epoch 0 of the dev selection: fine-tuning is kept only if it helps on dev.
    keep_start: bool = True
    # Also record each epoch's test accuracy (mean over the test draws) in metrics.jsonl; never used to select.
    record_test: bool = False

    def __post_init__(self) -> None:
        _check(self.epochs >= 0, "finetune.epochs", f"{self.epochs} must be >= 0")
        _check(self.patience is None or self.patience >= 1, "finetune.patience", "must be >= 1 or null")
        _check(self.lr > 0, "finetune.lr", f"{self.lr} must be > 0")
        _check_weight_decay("finetune", self.weight_decay, self.lr)
        _check(self.batch_size >= 1, "finetune.batch_size", f"{self.batch_size} must be >= 1")
        _check(self.num_steps is None or self.num_steps >= 1, "finetune.num_steps", "must be >= 1 or null")
        _check(1 <= self.dev_repeats <= MAX_REPEATS, "finetune.dev_repeats", f"{self.dev_repeats} must be in 1..1000")
        if self.init == "converted":
            self.init = "none"


@dataclass
class TransformerConfig:
    """The transformer family (family = transformer): all-MiniLM-L6-v2 fine-tuned per data set (the ANN), every
    input of a matrix product quantized to `levels` per sign with trained clips and distilled from the ANN (the
    QANN), and run with integrate-and-fire neurons for up to `max_steps` steps (the SNN; T chosen on dev). The
    TextCNN's sections (model, snn, cnn, finetune) do not apply to it."""

    # the encoder: minilm (all-MiniLM-L6-v2's pretrained weights) or tiny (its structure at hidden 16, 2 layers,
    # randomly initialized: for tests and quick checks; no weights needed)
    encoder: str = "minilm"  # a registered encoder (spiketext.core.models.transformer.ENCODERS)
    max_len: int = 128  # word pieces per sentence, [CLS] and [SEP] included
    epochs: int = 3  # ANN fine-tuning: AdamW, linear warm-up then decay, the epoch chosen on dev
    lr: float = 5e-5
    weight_decay: float = 0.01
    batch_size: int = 32
    warmup: float = 0.1  # fraction of the steps spent warming up
    train_embeddings: bool = False  # the 11.7 M word-piece embeddings stay as pretrained (half the parameters)
    # the ANN's FFN activation: gelu (as pretrained) or relu (fine-tuned with ReLU from the start, so the QANN, whose
    # FFN neurons cannot go below zero, starts from weights trained for it instead of swapping GELU for ReLU)
    ann_activation: str = "gelu"
    levels: int = 8  # QANN: L levels per sign at every quantizer
    attention_levels: int = 0  # QANN: the attention probabilities' levels (0: levels); they sit in [0, 1]
    qat_epochs: int = 3
    qat_lr: float = 2e-5
    distill: float = 0.5  # QANN loss: (1 − w)·CE(labels) + w·KL(ANN ‖ QANN) (w = 0: labels only)
    max_steps: int = 32  # the SNN is run T = 1 … max_steps (one run; the curve is its prefix) and T chosen on dev
    eval_batch_size: int = 64

    def __post_init__(self) -> None:
        for name in ("max_len", "epochs", "batch_size", "levels", "qat_epochs", "max_steps", "eval_batch_size"):
            value = getattr(self, name)
            _check(value >= 1, f"transformer.{name}", f"{value} must be >= 1")
        _check(self.attention_levels >= 0, "transformer.attention_levels", "must be >= 0 (0: levels)")
        _check(self.max_len <= 512, "transformer.max_len", f"{self.max_len}: MiniLM has 512 positions")
        for name in ("lr", "qat_lr"):
            value = getattr(self, name)
            _check(math.isfinite(value) and value > 0, f"transformer.{name}", f"{value} must be a positive number")
        _check(0 <= self.warmup < 1, "transformer.warmup", f"{self.warmup} must lie in [0, 1)")
        _check(0 <= self.distill <= 1, "transformer.distill", f"{self.distill} must lie in [0, 1]")
        _check(self.weight_decay >= 0, "transformer.weight_decay", f"{self.weight_decay} must be >= 0")
        _check(self.ann_activation in ("gelu", "relu"), "transformer.ann_activation", "choose gelu or relu")


@dataclass
class RunConfig:
    """Everything `spiketext run` does. Presets: `paper` (docs/design.md values) and `quick` (a first look)."""

    data: DataConfig
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    snn: SNNConfig = dataclasses.field(default_factory=SNNConfig)
    cnn: CNNTrainConfig = dataclasses.field(default_factory=CNNTrainConfig)
    finetune: FinetuneConfig = dataclasses.field(default_factory=FinetuneConfig)
    family: str = "textcnn"  # a registered model family (spiketext.runs.families.FAMILIES)
    transformer: TransformerConfig = dataclasses.field(default_factory=TransformerConfig)
    seed: int = 0
    seeds: int = 1  # repeat the whole run with seeds seed, seed+1, ... and report mean ± std
    baselines: bool = False
    test_repeats: int = 3  # Bernoulli draws for every SNN test accuracy
    eval_batch_size: int = 256
    precision: Precision = "auto"  # auto (bf16 where it pays) | bf16 | fp32
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    # With seeds > 1: train the seeds as one stacked model (one member per seed; the same numbers up to float
    # summation order). null: on a GPU, where it fills the kernels; not on a CPU, where it saves nothing.
    stack_seeds: bool | None = None

    def __post_init__(self) -> None:
        _check(self.seed >= 0, "seed", f"{self.seed} must be >= 0")
        _check(1 <= self.seeds <= MAX_REPEATS, "seeds", f"{self.seeds} must lie in 1..{MAX_REPEATS}")
        _check(1 <= self.test_repeats <= MAX_REPEATS, "test_repeats", f"{self.test_repeats} must lie in 1..1000")
        _check(self.eval_batch_size >= 1, "eval_batch_size", f"{self.eval_batch_size} must be >= 1")
        ok = re.match(r"^(auto|cpu|cuda(:\d+)?)$", self.device) is not None
        _check(ok, "device", f"{self.device!r} is not a device; use auto, cpu, cuda or cuda:N")
        if self.family == "transformer":
            lang = self.data.resolved_language()
            _check(lang in (None, "en"), "family", "the transformer family is English only (no Chinese encoder "
                   "weights ship offline); use family textcnn for Chinese data")  # fmt: skip
        if self.data.max_len is not None:
            check_kernels(self.model.kernel_sizes, self.data.max_len)
        _check(
            self.finetune.init != "qcfs" or self.model.activation == "qcfs",
            "finetune.init",
            "qcfs conversion needs a CNN trained with the QCFS activation: add --set model.activation=qcfs, or start "
            "from another conversion (none, data_p999, data_max, model, dev)",
        )
        _check(
            not (self.snn.input_noise and self.cnn.noise_steps),
            "snn.input_noise",
            "Gaussian input noise and Binomial noise (cnn.noise_steps) are alternatives: set one of them to 0",
        )
        _check(
            self.model.input_domain == "positive" or self.cnn.noise_steps == 0,
            "cnn.noise_steps",
            "Binomial input noise is defined for the positive domain only; with model.input_domain=signed use "
            "cnn.noise_steps=0 (and cnn.input_levels=T for a deterministic code)",
        )

    @staticmethod
    def migrate(data: dict[str, Any], where: str) -> dict[str, Any]:
        """Settings of earlier versions, read once here: cnn.input_noise (retired: the tailored CNN trains on its
        SNN's input noise, snn.input_noise) is accepted where it equals snn.input_noise."""
        cnn = data.get("cnn")
        if not (isinstance(cnn, dict) and "input_noise" in cnn):
            return data
        snn = data.get("snn") if isinstance(data.get("snn"), dict) else {}
        old, new = cnn["input_noise"], snn.get("input_noise", 0.0)
        if old not in (0, 0.0, None) and old != new:
            raise SpiketextError(
                f"setting {where}.cnn.input_noise: retired; the tailored CNN now trains on its SNN's input noise, "
                f"so set snn.input_noise={old} (this asks for σ = {old} for the CNN and {new} for the SNN)"
            )
        if old not in (0, 0.0, None) or new == 0:
            return {**data, "cnn": {k: v for k, v in cnn.items() if k != "input_noise"}}
        raise SpiketextError(
            f"setting {where}.cnn.input_noise: retired; this run trained its CNN on the clean input and its SNN "
            f"with snn.input_noise = {new}, which this version no longer does: rerun it into a new --out"
        )

    def finetune_starts(self) -> tuple[str, ...]:
        """The conversions fine-tuning may start from, in order of preference on a dev tie: finetune.init itself,
        or with init = dev the plain copy and the normalizations (a QCFS CNN: θ = λ first, then the plain copy)."""
        if self.finetune.init != "dev":
            return (self.finetune.init,)
        return ("qcfs", "none") if self.model.activation == "qcfs" else ("none", "data_p999", "data_max", "model")

    def cnn_noise_steps(self) -> int:
        return self.snn.num_steps if self.cnn.noise_steps == "T" else int(self.cnn.noise_steps)

    def cnn_input_levels(self) -> int:
        return self.snn.num_steps if self.cnn.input_levels == "T" else int(self.cnn.input_levels)

    def qcfs_levels(self) -> int:
        return self.snn.num_steps if self.model.levels == "T" else int(self.model.levels)

    def cnn_lr(self) -> float:
        if self.cnn.lr is not None:
            return self.cnn.lr
        return PAPER_CNN_LR.get(self.data.dataset or "", 1e-4)
