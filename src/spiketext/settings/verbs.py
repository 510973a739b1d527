"""Every verb's settings as typed, self-validating values: the verbs that train (run, sweep, reproduce, the
parallel backend they use), the verbs on saved runs (evaluate, energy, attack, export-nir, predict) and bench.

Each field carries its command-line option (`opt`: help, flag, choices, how a string is parsed); `spiketext.cli.parser`
generates every verb's options from these fields and builds the value from what was parsed, so an option cannot
be parsed and then dropped on the way to its verb. The Python API takes the same values (or their fields as
keywords). Where a run folder or file goes, and the data source, stay arguments of the verb itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from spiketext.errors import SpiketextError
from spiketext.settings.config import (
    BUILTIN_DATASETS,
    MAX_REPEATS,
    Costs,
    Precision,
    RunConfig,
    Sample,
    SplitName,
    VictimMode,
    choices,
)
from spiketext.settings.presets import PRESETS, build_run_config
from spiketext.settings.typed import parse_override, set_nested


def opt(
    default: Any,
    help: str,
    *,
    flag: str | None = None,
    choices: tuple[str, ...] | None = None,
    metavar: str | None = None,
    type: Callable[[str], Any] | None = None,
    repeat: bool = False,
) -> Any:
    """A field with its command-line option: `flag` (default --field-name; for a boolean the switch that flips
    its default), `choices`, `type` (how the option's string becomes the value; default: the default's type) and
    `repeat` (the option may be given again: a tuple of the strings, in order)."""
    meta = {"help": help, "flag": flag, "choices": choices, "metavar": metavar, "type": type, "repeat": repeat}
    return field(default=default, metadata=meta)


def check_positive(value: int | None, name: str, most: int | None = None) -> None:
    """A count given or None: refused below 1 or above `most`, naming the setting."""
    if value is not None and value < 1:
        raise SpiketextError(f"{name} {value}: must be a positive integer (>= 1)")
    if value is not None and most is not None and value > most:
        raise SpiketextError(f"{name} {value}: at most {most:,}; lower it")


def check_seed(seed: int | None) -> None:
    """A seed given or None: refused below 0."""
    if seed is not None and seed < 0:
        raise SpiketextError(f"seed {seed}: must be >= 0")


def _choice(value: Any, name: str, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise SpiketextError(f"{name} {value!r}: choose one of {', '.join(allowed)}")


def parse_victims(text: str) -> tuple[str, ...]:
    """'cnn, snn' -> ("cnn", "snn")."""
    return tuple(v.strip() for v in text.split(",") if v.strip())


def parse_confirm(text: str) -> tuple[int, int]:
    """'8/15' -> (8, 15): k of m fresh draws."""
    k, _, m = text.partition("/")
    try:
        return int(k), int(m)
    except ValueError:
        raise SpiketextError(f"--confirm {text!r}: write it as K/M, e.g. 8/15 (K of M fresh draws)") from None


@dataclass(frozen=True)
class EvaluateConfig:
    """`spiketext evaluate`: the accuracy of a saved model on a split."""

    model: str = opt("snn_finetuned", "which checkpoint of a run folder (snn_finetuned, snn_converted, cnn, ...)")
    split: str = opt("test", "the split to evaluate on", choices=choices(SplitName))
    repeats: int = opt(3, "draws for a stochastic SNN (mean ± std); a deterministic model is run once")
    seed: int = opt(0, "seed of the first draw's input (SNN)")
    num_steps: int | None = opt(None, "T at inference (default: the checkpoint's)", type=int)
    strict: bool = opt(False, "refuse a checkpoint written before digests existed (default: load it with a warning)")

    def __post_init__(self) -> None:
        _choice(self.split, "split", choices(SplitName))
        check_positive(self.repeats, "repeats", MAX_REPEATS)
        check_positive(self.num_steps, "num_steps")
        check_seed(self.seed)


@dataclass(frozen=True)
class EnergyConfig:
    """`spiketext energy`: operation counts and energy of a saved SNN against its CNN (None: the run's own)."""

    model: str = opt("snn_finetuned", "which SNN checkpoint of a run folder")
    split: str = opt("test", "the split whose sentences are counted", choices=choices(SplitName))
    seed: int | None = opt(None, "seed of the counted draw (default: the run's first test draw)", type=int)
    num_steps: int | None = opt(None, "T (default: the checkpoint's)", type=int)
    costs: str = opt("fp32", "Horowitz 2014 45 nm costs", choices=choices(Costs))
    batch_size: int | None = opt(None, "sentences per batch (default: the run's eval_batch_size)", type=int)
    precision: str | None = opt(None, "default: the run's", choices=choices(Precision))
    save_spikes: str | None = opt(
        None,
        "save the first batch's spikes of every layer, with that batch's counts in the report, to recount by hand",
        metavar="FILE.safetensors",
        type=str,
    )
    strict: bool = opt(False, "refuse a checkpoint written before digests existed (default: load it with a warning)")

    def __post_init__(self) -> None:
        _choice(self.split, "split", choices(SplitName))
        _choice(self.costs, "energy costs", choices(Costs))
        _choice(self.precision, "precision", choices(Precision))
        check_positive(self.num_steps, "num_steps")
        check_positive(self.batch_size, "batch_size")
        check_seed(self.seed)


@dataclass(frozen=True)
class ExportConfig:
    """`spiketext export-nir`: a saved SNN as a NIR graph, checked by a round trip."""

    model: str = opt("snn_finetuned", "which SNN checkpoint of a run folder")
    lossy: bool = opt(
        False, "export a reset-by-subtraction (or v0 > 0) SNN as reset-to-zero IF neurons and report the change"
    )
    split: str = opt("test", "sentences of the round-trip check", choices=choices(SplitName))
    check: int | None = opt(None, "check on the first N sentences (default all; 0: no check)", metavar="N", type=int)
    seed: int = opt(0, "seed of the check's input spikes")
    batch_size: int = opt(64, "sentences per batch of the check")
    simulator: str = opt(
        "nirtorch",
        "the simulator the graph is written for and checked with: nirtorch (NIR's IF, fires at v > θ) or "
        "spikingjelly (its IF fires at v ≥ θ: thresholds written one float above θ)",
    )
    strict: bool = opt(False, "refuse a checkpoint written before digests existed (default: load it with a warning)")

    def __post_init__(self) -> None:
        _choice(self.split, "split", choices(SplitName))
        if self.check is not None and self.check < 0:
            raise SpiketextError(f"--check {self.check}: the number of sentences to check must be >= 0 (0 skips it)")
        check_positive(self.batch_size, "batch_size")
        check_seed(self.seed)


@dataclass(frozen=True)
class AttackConfig:
    """`spiketext attack`: the attack, the victims and how a stochastic victim is scored and judged."""

    attack: str = opt(
        "textfooler", "the attack recipe (textfooler, pwws, textbugger, deepwordbug, bertattack, pso, gradient)"
    )
    model: str = opt("snn_finetuned", "which SNN checkpoint of the run folder")
    n: int = opt(1000, "test examples to attack")
    sample: str = opt("first", "first N in file order, or seeded", choices=choices(Sample))
    seed: int = opt(0, "seed of the SNN victim's noise, the sample and character edits")
    mode: str = opt(
        "expected",
        "a stochastic SNN victim: the mean over fresh draws per query (expected), one frozen draw (fixed) or the "
        "mean of frozen draws (average)",
        choices=choices(VictimMode),
    )
    draws: int = opt(20, "draws per query in --mode expected|average (at least 20: the rule for randomized defenses)")
    eval_draws: int = opt(15, "fresh draws that judge clean and attacked predictions (odd)")
    similarity: str = opt(
        "auto",
        "sentence similarity ≥ 0.8: auto, minilm (attacks extra; auto where installed) or word-vectors (mean word "
        "vectors)",
    )
    mlm: str | None = opt(None, "a local masked language model folder (bertattack needs one)", metavar="PATH", type=str)
    recheck: bool = opt(True, "expected mode: accept a flip without asking again", flag="--no-recheck")
    overwrite: bool = opt(False, "replace a finished attack's files in --out (default: refuse)")
    victims: tuple[str, ...] = opt(
        ("cnn", "snn"),
        "comma-separated, from cnn, snn and the controls cnn-noise (the CNN fed the SNN's input noise), "
        "cnn-noise-matched (the same at a dev-matched noise level), snn-regular (the SNN's weights without input "
        "noise)",
        type=parse_victims,
    )
    confirm: tuple[int, int] | None = opt(
        None,
        "the adaptive attacker: keep the most damaging flip that K of M fresh draws misclassify (e.g. 8/15)",
        metavar="K/M",
        type=parse_confirm,
    )
    noise_steps: int | None = opt(None, "cnn-noise of a Bernoulli SNN: input steps (default: the SNN's T)", type=int)
    same_set: bool = opt(
        True,
        "attack each victim on its own clean-correct examples (default: the examples all get right)",
        flag="--per-model-sets",
    )
    strict: bool = opt(False, "refuse a checkpoint written before digests existed (default: load it with a warning)")

    def __post_init__(self) -> None:
        # the attack, the similarity, the checkpoint and the victims name components: checked against their
        # registries by the attack itself (spiketext.runs.robustness), with the closest name
        _choice(self.sample, "sample", choices(Sample))
        _choice(self.mode, "mode", choices(VictimMode))
        if not self.victims or len(set(self.victims)) != len(self.victims):
            raise SpiketextError(f"victims {', '.join(self.victims) or '(none)'}: name each once")
        if self.confirm is not None and not 1 <= self.confirm[0] <= self.confirm[1] <= 1000:
            raise SpiketextError(f"confirm {self.confirm}: give k of m with 1 <= k <= m <= 1000")
        check_positive(self.n, "n")
        check_positive(self.draws, "draws", MAX_REPEATS)
        check_positive(self.eval_draws, "eval_draws", MAX_REPEATS)
        check_positive(self.noise_steps, "noise_steps", 10_000)
        if self.eval_draws % 2 == 0:
            raise SpiketextError(f"--eval-draws {self.eval_draws}: an odd number, so that a majority exists")
        check_seed(self.seed)


def _names(text: str) -> tuple[str, ...]:
    """'a, b' -> ("a", "b")."""
    return tuple(v.strip() for v in text.split(",") if v.strip())


def _check_overrides(items: tuple[str, ...], flag: str = "--set") -> None:
    for item in items:
        key, sep, _ = item.partition("=")
        if not sep or not key.strip():
            raise SpiketextError(f"{flag} {item!r}: write it as key=value, e.g. snn.num_steps=16")


@dataclass(frozen=True)
class RunSettings:
    """`spiketext run` (and train-cnn, sweep): where the run configuration comes from. `resolve` builds the
    `RunConfig` once: the preset, then the file, then the data and the options given here."""

    preset: str = opt("paper", "starting values")
    config: str | None = opt(None, "YAML or JSON file of settings (overrides the preset)", metavar="FILE", type=str)
    set: tuple[str, ...] = opt(
        (),
        "override any setting, e.g. --set snn.num_steps=16 --set finetune.lr=3e-4 (repeatable)",
        metavar="KEY=VALUE",
        repeat=True,
    )
    seed: int | None = opt(None, "run seed (default 0)", type=int)
    seeds: int | None = opt(None, "repeat with N seeds and report mean ± std", type=int)
    baselines: bool = opt(False, "add the baselines and ablations")
    device: str | None = opt(None, "auto, cpu, cuda, cuda:N", type=str)
    precision: str | None = opt(None, "bf16 where it pays (auto), or force one", choices=choices(Precision), type=str)

    def __post_init__(self) -> None:
        _choice(self.preset, "preset", tuple(PRESETS))
        _choice(self.precision, "precision", choices(Precision))
        _check_overrides(self.set)
        check_seed(self.seed)
        check_positive(self.seeds, "seeds", MAX_REPEATS)

    def resolve(self, data: dict[str, Any]) -> RunConfig:
        """The run configuration, built once: the preset, the file, then `data` and these options."""
        return build_run_config(self.preset, self.config, self.overrides(data))

    def overrides(self, data: dict[str, Any]) -> dict[str, Any]:
        """The nested overrides of these options on top of the data settings `data`."""
        out: dict[str, Any] = {"data": dict(data)}
        for item in self.set:
            keys, value = parse_override(item)
            set_nested(out, keys, value)
        for name in ("seed", "seeds", "device", "precision"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.baselines:
            out["baselines"] = True
        return out


@dataclass(frozen=True)
class ParallelSettings:
    """Where the jobs of a sweep or a reproduction run (`spiketext.runs.parallel.choose_backend`)."""

    workers: int | None = opt(None, "jobs at a time on a local Ray instance (default: the cores)", type=int)
    ray_address: str | None = opt(
        None, "an existing Ray cluster (e.g. auto, or host:6379)", metavar="ADDRESS", type=str
    )
    cpus_per_task: float = opt(1.0, "CPU cores per job (torch threads)")
    gpus_per_task: float = opt(0.0, "GPUs per job (e.g. 0.25: four jobs share one)")
    in_process: bool = opt(False, "one job after another in this process (the default without Ray)")

    def __post_init__(self) -> None:
        check_positive(self.workers, "workers", 4096)


@dataclass(frozen=True)
class SweepSettings:
    """`spiketext sweep`: the grid (its product is swept) and an optional run whose CNN every point shares."""

    grid: tuple[str, ...] = opt(
        (),
        "a setting and its values, e.g. --grid snn.num_steps=4,8,16,50 --grid snn.threshold=0.5,1,2 (repeatable; "
        "the product is swept); none: only re-summarize the points already in --out",
        metavar="KEY=V1,V2",
        repeat=True,
    )
    cnn: str | None = opt(None, "take the tailored CNN from this run folder (same CNN settings)", metavar="RUN_DIR",
                          type=str)  # fmt: skip

    def __post_init__(self) -> None:
        _check_overrides(self.grid, "--grid")


@dataclass(frozen=True)
class ReproduceSettings:
    """`spiketext reproduce`: data sets × presets × seeds, and settings for every run."""

    datasets: tuple[str, ...] = opt(BUILTIN_DATASETS, "comma-separated data sets", type=_names)
    presets: tuple[str, ...] = opt(("paper", "efficient"), "comma-separated presets", type=_names)
    seeds: int = opt(3, "seeds per data set and preset")
    set: tuple[str, ...] = opt((), "a setting for every run (repeatable)", metavar="KEY=VALUE", repeat=True)

    def __post_init__(self) -> None:
        for name, given, allowed in (("--datasets", self.datasets, BUILTIN_DATASETS), ("--presets", self.presets,
                                                                                      tuple(PRESETS))):  # fmt: skip
            if not given:
                raise SpiketextError(f"{name} '': name at least one of {', '.join(allowed)}")
            for v in given:
                _choice(v, name, allowed)
        check_positive(self.seeds, "seeds", MAX_REPEATS)
        _check_overrides(self.set)


@dataclass(frozen=True)
class PredictSettings:
    """`spiketext predict`: which checkpoint classifies the texts, and how an SNN draws its input."""

    model: str = opt("snn_finetuned", "which checkpoint of a run folder (snn_finetuned, cnn, ...)")
    seed: int = opt(0, "seed of the Bernoulli input (SNN)")
    num_steps: int | None = opt(None, "T at inference (default: the checkpoint's)", type=int)
    raster: str | None = opt(None, "save a spike raster of the first text (SNN)", metavar="FILE.png", type=str)
    strict: bool = opt(False, "refuse a checkpoint written before digests existed")

    def __post_init__(self) -> None:
        check_positive(self.num_steps, "num_steps")
        check_seed(self.seed)


@dataclass(frozen=True)
class BenchSettings:
    """`spiketext bench`: the engine against the authors' structure."""

    device: str = opt("auto", "auto, cpu, cuda, cuda:N")
    precision: str = opt("auto", "bf16 where it pays (auto), or force one", choices=choices(Precision))
    reps: int = opt(5, "timed repetitions per implementation (median)")
    warmup: int = opt(2, "untimed repetitions first")

    def __post_init__(self) -> None:
        _choice(self.precision, "precision", choices(Precision))
        if not 1 <= self.reps <= 1000 or not 0 <= self.warmup <= 1000:
            raise SpiketextError(
                f"--reps {self.reps} / --warmup {self.warmup}: give reps in 1..1000, warmup in 0..1000"
            )


VerbConfig = (
    EvaluateConfig
    | EnergyConfig
    | ExportConfig
    | AttackConfig
    | RunSettings
    | ParallelSettings
    | SweepSettings
    | ReproduceSettings
    | PredictSettings
    | BenchSettings
)


def with_settings(config: Any, cls: type, settings: dict[str, Any]) -> Any:
    """`config` (default: `cls()`) with the keyword `settings` replaced, validated again; unknown names refused."""
    if config is not None and not isinstance(config, cls):
        raise SpiketextError(f"{config!r} is not a {cls.__name__}: pass one, or its fields as keywords")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise SpiketextError(f"{cls.__name__}: unknown setting(s) {', '.join(unknown)}; choose from {sorted(known)}")
    return dataclasses.replace(config if config is not None else cls(), **settings)
