"""Typed, self-validating settings (litgpt-style dataclasses); load and save as YAML or JSON.

Every setting lives in a dataclass that checks itself in `__post_init__`. Unknown or mistyped keys are errors
that name the key, where it came from, and the closest valid name. This module imports no torch, so the CLI
can parse and validate a configuration before paying for the heavy imports.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from spiketext.errors import SpiketextError
from spiketext.typed_settings import deep_merge, from_dict, load_mapping, parse_override, set_nested, to_dict

__all__ = ["deep_merge", "from_dict", "load_mapping", "parse_override", "set_nested", "to_dict"]  # re-exported

ENGLISH_DATASETS = ("mr", "sst2", "sst5", "subj")
CHINESE_DATASETS = ("chnsenti", "waimai")
BUILTIN_DATASETS = ENGLISH_DATASETS + CHINESE_DATASETS

DEFAULT_ENGLISH_EMBEDDINGS = "glove-6b-50d"
# Skip-gram vectors trained with gensim on the training split only: the offline stand-in for sgns.merge.bigram.
TRAINED_EMBEDDINGS = "train-skipgram"

DATA_DIR_ENV = "SPIKETEXT_DATA_DIR"
CACHE_DIR_ENV = "SPIKETEXT_CACHE_DIR"

# --- every choice list, in one place (settings, models, CLI and checkpoints read them from here) ---------------
InputCode = Literal["bernoulli", "regular", "ttfs"]  # snn.encoder: how input values become spikes
DETERMINISTIC_CODES = frozenset({"regular", "ttfs"})  # the same spikes at every draw (bernoulli: random)
InputDomain = Literal["positive", "signed"]  # model.input_domain: e⁺ ∈ [0, 1] (the paper) or s = 2e⁺ − 1 ∈ [−1, 1]
Surrogate = Literal["fast_sigmoid", "arctan", "sigmoid", "triangle", "straight_through"]
Reset = Literal["subtract", "zero"]
# How the CNN's weights are scaled when copied into the SNN ("none": the plain copy).
Normalization = Literal["none", "model", "data_max", "data_p999", "qcfs"]
Activation = Literal["relu", "qcfs"]  # the tailored CNN's hidden activation (qcfs: Bu et al., ICLR 2022)
Readout = Literal["spikes", "membrane"]  # SNN output: spike counts (the paper) or a non-spiking integrator
SNNLoss = Literal["rate", "count"]
Precision = Literal["auto", "bf16", "fp32"]
Costs = Literal["fp32", "fp16", "int8"]
AttackName = Literal["textfooler", "pwws", "textbugger", "deepwordbug", "bertattack", "pso"]
VictimMode = Literal["expected", "fixed", "average"]
# Who an attack targets: the CNN, the SNN, and the controls that separate spiking from input noise (issue 25): the
# CNN fed the SNN's Bernoulli input noise (same T), the same CNN at a noise level whose dev accuracy matches the
# SNN's, and the SNN's weights with the deterministic regular code.
VictimName = Literal["cnn", "snn", "cnn-noise", "cnn-noise-matched", "snn-regular"]
Sample = Literal["first", "random"]
BackendKind = Literal["local", "processes", "ray"]  # where jobs run (spiketext.parallel)
Similarity = Literal["auto", "minilm", "word-vectors"]  # an attack's sentence similarity (auto: MiniLM if installed)
Language = Literal["en", "zh"]  # data.language: the tokenizer (zh: jieba)
ModelKind = Literal["tailored_cnn", "standard_cnn", "snn"]
ModelFamily = Literal["textcnn", "transformer"]  # family: the paper's TextCNN, or MiniLM converted (DESIGN §1.10)
SplitName = Literal["train", "dev", "test"]


def choices(literal: Any) -> tuple[str, ...]:
    """The values of a Literal choice list, e.g. choices(InputCode) == ("bernoulli", "regular")."""
    return tuple(typing.get_args(literal))


# Run-folder checkpoints a user may name (evaluate --model, predict --model), in pipeline order.
NORMALIZED_CHECKPOINTS: dict[str, str] = {
    "none": "snn_converted",
    "model": "snn_converted_model_norm",
    "data_max": "snn_converted_data_norm_max",
    "data_p999": "snn_converted_data_norm_p999",
    "qcfs": "snn_converted_qcfs",
}
CHECKPOINTS = ("snn_finetuned", *NORMALIZED_CHECKPOINTS.values(), "cnn")
# The stages of a run, in order (`run --restart STAGE` starts one and the later ones over; spiketext.runs).
STAGES = ("cnn", "convert", "finetune", "baselines")
TRANSFORMER_STAGES = ("ann", "qann", "snn")  # the transformer family's (spiketext.transformer_pipeline)


def resolve_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """The cache folder: `cache_dir`, else $SPIKETEXT_CACHE_DIR, else ~/.cache/spiketext."""
    return Path(cache_dir or os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache" / "spiketext")


MAX_TOKENS = 100_000  # a longer "sentence" is a mistake, and its ids alone would fill memory
MAX_REPEATS = 1_000  # seeds, draws, repetitions: more is a typo, and would run for days


def _check(condition: bool, setting: str, message: str) -> None:
    if not condition:
        raise SpiketextError(f"setting {setting}: {message}")


@dataclass(frozen=True)
class SkipgramSettings:
    """How vectors are trained from the training text where none are pretrained (gensim skip-gram, DESIGN.md §1.5)."""

    dim: int = 300
    epochs: int = 5
    window: int = 5
    min_count: int = 1

    def __post_init__(self) -> None:
        for name in ("dim", "epochs", "window", "min_count"):
            value = getattr(self, name)
            _check(value >= 1, f"data.skipgram_{name}", f"{value} must be >= 1")


DEFAULT_SKIPGRAM = SkipgramSettings()


@dataclass(frozen=True)
class ReadOptions:
    """How a file of labelled examples is read (`spiketext.data.readers`): DataConfig's fields of these names."""

    encoding: str = "utf-8"
    text_column: str | None = None  # None: the first of the usual names (text, sentence, review, ...)
    label_column: str | None = None
    strict: bool = False
    multiline: bool = False


DEFAULT_READ = ReadOptions()


@dataclass(frozen=True)
class SplitSettings:
    """How missing dev/test splits are carved from train: seeded and stratified (`spiketext.data.splits`)."""

    seed: int = 0
    test_fraction: float = 0.1
    dev_fraction: float = 0.1

    def __post_init__(self) -> None:
        _check(self.seed >= 0, "data.split_seed", f"{self.seed} must be >= 0")


DEFAULT_SPLIT = SplitSettings()


@dataclass
class DataConfig:
    """Where the text comes from and how it becomes positive embeddings (DESIGN.md §1.1, §1.5).

    Exactly one of `dataset` (a built-in name) or `train` (a file of your own) is set.
    """

    dataset: str | None = None
    train: str | None = None
    dev: str | None = None
    test: str | None = None
    text_column: str | None = None
    label_column: str | None = None
    encoding: str = "utf-8"
    language: Language | None = None  # None: the built-in's language, or detected from own text
    data_dir: str | None = None  # None: $SPIKETEXT_DATA_DIR, else ./data
    cache_dir: str | None = None  # None: $SPIKETEXT_CACHE_DIR, else ~/.cache/spiketext
    split_seed: int = 0
    test_fraction: float = 0.1
    dev_fraction: float = 0.1
    max_len: int | None = None  # None: the data set's fixed L (DESIGN.md §1.1), or the 95th percentile of own data
    embeddings: str | None = None  # None: glove-6b-50d (English) / train-skipgram (Chinese); or a vector file path
    clip: float = 3.0
    # δ: units with |z| < δ·clip become z = 0 (e⁺ = ½, s = 0): a signed input code sends nothing for them, and the
    # CNN trains on the same values (spiketext.data.embeddings.PositiveTransform); 0: none (the paper)
    dead_zone: float = 0.0
    skipgram_dim: int = 300
    skipgram_epochs: int = 5
    skipgram_window: int = 5
    skipgram_min_count: int = 1
    strict: bool = False  # a row with an empty text: an error naming its line (else skipped, counted, recorded)
    multiline: bool = False  # a quoted CSV text may span lines (else an error: an unclosed quote swallows lines)

    def __post_init__(self) -> None:
        _check(
            (self.dataset is None) != (self.train is None),
            "data.dataset / data.train",
            "give exactly one: a built-in data set name or --train FILE",
        )
        if self.dataset is not None:
            self.dataset = self.dataset.lower()
            _check(
                self.dataset in BUILTIN_DATASETS,
                "data.dataset",
                f"unknown data set {self.dataset!r}; choose one of {', '.join(BUILTIN_DATASETS)} "
                "or pass your own with --train FILE",
            )
            _check(self.dev is None and self.test is None, "data.dev / data.test", "only with --train (own data)")
        for name in ("test_fraction", "dev_fraction"):
            value = getattr(self, name)
            _check(0.0 < value < 0.5, f"data.{name}", f"{value} must lie in (0, 0.5)")
        if self.max_len is not None:
            _check(
                1 <= self.max_len <= MAX_TOKENS, "data.max_len", f"{self.max_len} must lie in 1..{MAX_TOKENS:,} tokens"
            )
        _check(self.clip > 0, "data.clip", f"{self.clip} must be > 0")
        _check(0 <= self.dead_zone < 1, "data.dead_zone", f"{self.dead_zone} must lie in [0, 1) (a fraction of clip)")
        self.skipgram, self.split  # noqa: B018 (they validate themselves)

    @property
    def read_options(self) -> ReadOptions:
        return ReadOptions(self.encoding, self.text_column, self.label_column, self.strict, self.multiline)

    @property
    def split(self) -> SplitSettings:
        return SplitSettings(self.split_seed, self.test_fraction, self.dev_fraction)

    @property
    def skipgram(self) -> SkipgramSettings:
        return SkipgramSettings(self.skipgram_dim, self.skipgram_epochs, self.skipgram_window, self.skipgram_min_count)

    def resolved_language(self) -> str | None:
        if self.language is not None:
            return self.language
        if self.dataset is not None:
            return "zh" if self.dataset in CHINESE_DATASETS else "en"
        return None

    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir or os.environ.get(DATA_DIR_ENV) or "data")

    def resolved_cache_dir(self) -> Path:
        return resolve_cache_dir(self.cache_dir)


@dataclass
class ModelConfig:
    """The tailored TextCNN and its SNN twin (DESIGN.md §1.2-1.3)."""

    num_filters: int = 100
    kernel_sizes: list[int] = dataclasses.field(default_factory=lambda: [3, 4, 5])
    neurons_per_class: int = 10
    dropout: float = 0.5
    zero_mean_filters: bool = False  # W = V − mean(V) per filter while training the CNN (DESIGN.md §4)
    # qcfs: ReLU replaced by λ·clip(⌊a·L/λ + ½⌋/L, 0, 1) with a trainable λ, and the pooled average quantized to
    # the same L levels: the CNN then computes what an IF network with T = L steps computes (convert with qcfs)
    activation: Activation = "relu"
    levels: int | Literal["T"] = "T"  # L of the qcfs activation; "T": snn.num_steps
    # What both models read: positive e⁺ (the paper), or signed s = 2e⁺ − 1 with padding 0, sent by the SNN on
    # two channels (spikes of ±1) at about half the spikes per unit; the CNN is trained on s (spiketext.encoding)
    input_domain: InputDomain = "positive"

    def __post_init__(self) -> None:
        _check(self.num_filters >= 1, "model.num_filters", f"{self.num_filters} must be >= 1")
        _check(bool(self.kernel_sizes) and min(self.kernel_sizes) >= 1, "model.kernel_sizes", "give sizes >= 1")
        _check(self.neurons_per_class >= 1, "model.neurons_per_class", f"{self.neurons_per_class} must be >= 1")
        _check(0 <= self.dropout < 1, "model.dropout", f"{self.dropout} must lie in [0, 1)")
        _check(self.levels == "T" or self.levels >= 1, "model.levels", f"{self.levels} must be >= 1 or 'T'")


@dataclass(frozen=True)
class SNNConfig:
    """Spiking neurons and the input code (DESIGN.md §1.3): the one value the SNN, its LIF layers and its
    checkpoint's "snn" mapping share. Validated here, once, however it is built (settings, a checkpoint, code)."""

    num_steps: int = 50  # T
    beta: float = 1.0  # membrane decay; 1 = integrate-and-fire
    threshold: float = 1.0  # θ
    reset: Reset = "subtract"
    surrogate: Surrogate = "fast_sigmoid"
    slope: float = 25.0  # k of the surrogate
    # the input code: bernoulli (the paper) | regular (deterministic, even spikes) | ttfs (one spike, held current)
    encoder: InputCode = "bernoulli"
    # α: the input spike rate is α·e⁺ (the conversion divides the conv weights by α, keeping the expected
    # currents). α < 1 cuts the input layer's synaptic operations, most of the SNN's energy, by the factor α.
    input_scale: float = 1.0
    # σ of Gaussian noise added to each word unit's domain value before coding (a dithered input: the model is
    # then stochastic whatever its code; one normal draw per unit and sentence, counted by the energy report)
    input_noise: float = 0.0
    init_membrane: float = 0.0  # U[0] as a fraction of θ: 0 (the paper) or 0.5 (QCFS: spike counts round, not floor)
    readout: Readout = "spikes"  # spikes: output spike counts (the paper); membrane: summed output currents

    @property
    def stochastic(self) -> bool:  # does the input differ between draws (a random code, or input noise)?
        return self.encoder not in DETERMINISTIC_CODES or self.input_noise > 0

    def __post_init__(self) -> None:
        _check(self.num_steps >= 1, "snn.num_steps", f"{self.num_steps} must be >= 1")
        _check(0 <= self.init_membrane < 1, "snn.init_membrane", f"{self.init_membrane} must lie in [0, 1)")
        _check(0 < self.input_scale <= 1, "snn.input_scale", f"{self.input_scale} must lie in (0, 1]")
        _check(0 <= self.input_noise < 10, "snn.input_noise", f"{self.input_noise} must lie in [0, 10) (0: none)")
        _check(0 < self.beta <= 1, "snn.beta", f"{self.beta} must lie in (0, 1]")
        _check(self.threshold > 0, "snn.threshold", f"{self.threshold} must be > 0")
        _check(self.slope > 0, "snn.slope", f"{self.slope} must be > 0")
        for name, kind in (("reset", Reset), ("surrogate", Surrogate), ("encoder", InputCode), ("readout", Readout)):
            value = getattr(self, name)
            _check(value in choices(kind), f"snn.{name}", f"{value!r} is not one of {', '.join(choices(kind))}")


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


# Paper learning rates for the CNN (DESIGN.md §1.2), by data set.
PAPER_CNN_LR = {"sst2": 1e-4, "sst5": 1e-4, "mr": 1e-4, "subj": 5e-4, "chnsenti": 5e-4, "waimai": 5e-4}


@dataclass
class CNNTrainConfig:
    """Training the tailored CNN; the epoch is chosen on dev, training stops after `patience` stale epochs."""

    epochs: int = 200
    patience: int | None = 20
    lr: float | None = None  # None: the paper's per-data-set value, 1e-4 for own data
    weight_decay: float = 0.01
    batch_size: int = 32
    # > 0: train on Binomial(n, e⁺)/n rates, the noise the SNN will see (DESIGN.md §4); "T": n = snn.num_steps,
    # so that a CNN meant for a low-T SNN learns exactly the rate quantization of its T steps.
    noise_steps: int | str = 0
    # > 0: train on inputs quantized to n + 1 levels, ⌊n·e⁺ + ½⌋/n: exactly what the regular code delivers in n
    # steps; "T": n = snn.num_steps
    input_levels: int | Literal["T"] = 0
    # > 0: train on inputs dithered by Gaussian noise of this σ (in the input domain, word units only) before the
    # quantization: the input of an SNN with snn.input_noise = σ
    input_noise: float = 0.0
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
        _check(0 <= self.input_noise < 10, "cnn.input_noise", f"{self.input_noise} must lie in [0, 10) (0: none)")
        _check(
            not (self.input_noise and self.noise_steps),
            "cnn.input_noise",
            "Gaussian input noise and Binomial noise (cnn.noise_steps) are alternatives: set one of them to 0",
        )


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
    loss: SNNLoss = "rate"  # rate: per-step CE averaged over T (the paper); count: CE on T-averaged class scores
    # The conversion fine-tuning starts from: none (the plain copy; "converted" is an older name for it),
    # data_p999 / data_max / model (normalized conversion), qcfs (a QCFS-trained CNN, θ = λ), or dev: the one of
    # these with the best dev accuracy (`RunConfig.finetune_starts`; a tie goes to the earlier candidate).
    init: Normalization | Literal["converted", "dev"] = "none"
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
    encoder: Literal["minilm", "tiny"] = "minilm"
    max_len: int = 128  # word pieces per sentence, [CLS] and [SEP] included
    epochs: int = 3  # ANN fine-tuning: AdamW, linear warm-up then decay, the epoch chosen on dev
    lr: float = 5e-5
    weight_decay: float = 0.01
    batch_size: int = 32
    warmup: float = 0.1  # fraction of the steps spent warming up
    train_embeddings: bool = False  # the 11.7 M word-piece embeddings stay as pretrained (half the parameters)
    levels: int = 8  # QANN: L levels per sign at every quantizer
    qat_epochs: int = 3
    qat_lr: float = 2e-5
    distill: float = 0.5  # QANN loss: (1 − w)·CE(labels) + w·KL(ANN ‖ QANN) (w = 0: labels only)
    max_steps: int = 32  # the SNN is run T = 1 … max_steps (one run; the curve is its prefix) and T chosen on dev
    eval_batch_size: int = 64

    def __post_init__(self) -> None:
        for name in ("max_len", "epochs", "batch_size", "levels", "qat_epochs", "max_steps", "eval_batch_size"):
            value = getattr(self, name)
            _check(value >= 1, f"transformer.{name}", f"{value} must be >= 1")
        _check(self.max_len <= 512, "transformer.max_len", f"{self.max_len}: MiniLM has 512 positions")
        for name in ("lr", "qat_lr"):
            value = getattr(self, name)
            _check(math.isfinite(value) and value > 0, f"transformer.{name}", f"{value} must be a positive number")
        _check(0 <= self.warmup < 1, "transformer.warmup", f"{self.warmup} must lie in [0, 1)")
        _check(0 <= self.distill <= 1, "transformer.distill", f"{self.distill} must lie in [0, 1]")
        _check(self.weight_decay >= 0, "transformer.weight_decay", f"{self.weight_decay} must be >= 0")


@dataclass
class RunConfig:
    """Everything `spiketext run` does. Presets: `paper` (DESIGN.md values) and `quick` (a first look)."""

    data: DataConfig
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    snn: SNNConfig = dataclasses.field(default_factory=SNNConfig)
    cnn: CNNTrainConfig = dataclasses.field(default_factory=CNNTrainConfig)
    finetune: FinetuneConfig = dataclasses.field(default_factory=FinetuneConfig)
    family: ModelFamily = "textcnn"
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
        _check(self.family in choices(ModelFamily), "family", f"{self.family!r}: choose one of "
               f"{', '.join(choices(ModelFamily))}")  # fmt: skip
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
            self.model.input_domain == "positive" or self.cnn.noise_steps == 0,
            "cnn.noise_steps",
            "Binomial input noise is defined for the positive domain only; with model.input_domain=signed use "
            "cnn.noise_steps=0 (and cnn.input_levels=T for a deterministic code)",
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
