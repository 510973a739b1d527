"""A run's results as typed values: `RunResult` (results.json) of `StageResult` rows (one per model: the CNN, the
converted and fine-tuned SNN, the baselines), its `EnergySummary` and its `RunWarning`s, read by the seed
summaries, sweeps and the method table as attributes. JSON stays the on-disk format: `from_json` reads every
results.json written so far (fields a file lacks take their defaults; fields it has that are not named here are
kept in `extra`), `to_json` writes it back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spiketext.errors import SpiketextError
from spiketext.stats import PairedComparison  # re-exported: an AttackReport's comparisons


@dataclass(frozen=True)
class StageResult:
    """One model's accuracies (fractions in [0, 1]) at its dev-selected epoch."""

    test_acc: float
    dev_acc: float | None = None
    epoch: int | None = None
    test_std: float | None = None  # over Bernoulli draws (one run) or over seeds (a seed summary)
    test_accs: tuple[float, ...] = ()
    test_seeds: tuple[int, ...] = ()
    num_steps: int | None = None
    note: str | None = None
    partial: bool = False  # a provisional row of a run stopped before the stage finished
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, d: Any, where: str) -> StageResult:
        if not isinstance(d, dict):
            raise SpiketextError(f"{where}: not a mapping: the file is damaged")
        test = d.get("test_acc")
        if not isinstance(test, (int, float)) or isinstance(test, bool):
            raise SpiketextError(f"{where}.test_acc is {test!r}, not a number: the file is damaged")
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in d.items() if k in names}
        for key in ("test_accs", "test_seeds"):
            if key in known:
                known[key] = tuple(known[key])
        return cls(**known, extra={k: v for k, v in d.items() if k not in names})

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        defaults = {f.name: f.default for f in dataclasses.fields(self) if f.name not in ("extra", "test_acc")}
        out = {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in out.items() if k == "test_acc" or v != defaults[k]
        }
        return {**out, **self.extra}


# results.json's "energy" written before the headline was renamed: these keys were the first accounting's
_FIRST_ACCOUNTING_KEYS = {
    "ratio": "ratio",
    "ratio_with_membrane": "ratio_with_membrane",
    "ratio_memory": "ratio_memory_flat",
}
_LEGACY_DROPPED = ("cnn_nj_per_sentence", "snn_nj_per_sentence", "snn_nj_per_sentence_with_membrane",
                   "ratio_int8_matched", "ratio_with_draws", "accounting", "note")  # fmt: skip


@dataclass(frozen=True)
class EnergySummary:
    """results.json's "energy": the ratios a run keeps from its energy report (`energy.energy_summary`; every term
    is in the run's energy.md). `ratio_all_ops` is the headline, the one number every report leads with: every
    operation of both models on windows touching a real word, fp32. The first accounting (synaptic operations only,
    every padded window) is kept under `first_accounting`, labelled; a results.json written before the rename (its
    `ratio` was the first accounting) is read with its keys moved there."""

    ratio_all_ops: float | None = None
    cnn_nj_per_sentence: float | None = None  # the reviewer's accounting, per sentence
    snn_nj_per_sentence: float | None = None
    num_steps: int | None = None
    costs: str | None = None
    input_rate: float | None = None
    input_spikes_per_unit: float | None = None
    input_spikes_per_real_unit: float | None = None
    ratio_all_ops_padded: float | None = None
    ratio_all_ops_int8: float | None = None
    ratio_zero_skip_cnn: float | None = None
    ratio_quantized_cnn: float | None = None
    activation_bits: int | None = None
    ratio_lut: float | None = None
    ratio_event_driven: float | None = None
    ratio_with_draws: float | None = None
    ratio_memory_sram: Mapping[str, float] = field(default_factory=dict)  # SRAM size -> memory-inclusive (the fit)
    ratio_memory_horowitz: Mapping[str, float] = field(default_factory=dict)  # at Horowitz's own three points
    first_accounting: Mapping[str, float] = field(default_factory=dict)
    note: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def headline(self) -> float:
        """The reviewer's all-operations ratio; a run counted before it existed has only the first accounting's."""
        return self.ratio_all_ops if self.ratio_all_ops is not None else self.first_accounting["ratio"]

    def story(self) -> str:
        """The headline and the two verdicts that can flip it, in one line (results.md's energy note)."""
        parts = [f"E_SNN / E_CNN = {self.headline:.3f} (every operation of both, on real words only)"]
        if self.ratio_memory_sram:
            sram = ", ".join(f"{k} {v:.2f}" for k, v in self.ratio_memory_sram.items())
            horowitz = ", ".join(f"{k} {v:.2f}" for k, v in self.ratio_memory_horowitz.items())
            parts.append(f"memory counted {sram}" + (f" (Horowitz's own points {horowitz})" if horowitz else ""))
        if self.ratio_lut is not None:
            parts.append(f"both first layers as lookup tables {self.ratio_lut:.2f}")
        if self.first_accounting.get("ratio") is not None and self.ratio_all_ops is not None:
            parts.append(
                f"the first accounting (synaptic ops only, padded windows) {self.first_accounting['ratio']:.3f}"
            )
        return "; ".join(parts) + " (above 1 the SNN loses)"

    @classmethod
    def from_json(cls, d: Any, where: str) -> EnergySummary:
        if not isinstance(d, dict):
            raise SpiketextError(f"{where}: 'energy' is not a mapping: the file is damaged")
        d = dict(d)
        if "first_accounting" not in d:  # written before the rename
            d["first_accounting"] = {new: d.pop(old) for old, new in _FIRST_ACCOUNTING_KEYS.items() if old in d}
            for key in _LEGACY_DROPPED:
                d.pop(key, None)
        headline = d.get("ratio_all_ops", d["first_accounting"].get("ratio"))
        if not isinstance(headline, (int, float)) or isinstance(headline, bool):
            raise SpiketextError(f"{where}: 'energy' has no ratio_all_ops (or legacy ratio): the file is damaged")
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in d.items() if k in names and v is not None}
        return cls(**known, extra={k: v for k, v in d.items() if k not in names})

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in out.items() if v is not None and v != {}}
        return {**out, **self.extra}


WARNING_KINDS = ("deviation", "skipped", "rare_class")  # what a run warns about, beside its notes


@dataclass(frozen=True)
class RunWarning:
    """Something a run's user must know about its numbers: a deviation from the paper's protocol, rows skipped, a
    class too rare to split. Written to results.json as {"kind", "text"}; the CLI prints each one."""

    kind: str
    text: str

    def __post_init__(self) -> None:
        if self.kind not in WARNING_KINDS:
            raise SpiketextError(f"run warning {self.kind!r}: not one of {', '.join(WARNING_KINDS)}")

    @classmethod
    def from_json(cls, d: Any, where: str) -> RunWarning:
        if not isinstance(d, dict) or not isinstance(d.get("kind"), str) or not isinstance(d.get("text"), str):
            raise SpiketextError(f"{where}: a warning is not {{kind, text}}: the file is damaged")
        return cls(d["kind"], d["text"])


def data_warnings(corpus: Any, deviation: str | None = None) -> tuple[RunWarning, ...]:
    """A run's warnings about its data: the vectors' deviation from the paper, rows skipped, rare classes
    (`corpus`: a `spiketext.data.corpus.Corpus`)."""
    out = [RunWarning("deviation", deviation)] if deviation else []
    for path, skip in corpus.skipped.items():
        out.append(RunWarning("skipped", f"{skip['rows']} row(s) of {Path(path).name} with an empty text"))
    for label, r in corpus.rare.items():
        out.append(RunWarning("rare_class", f"{label!r} in {r['rows']} training row(s), {r['reason']} (data.json)"))
    return tuple(out)


# results.json files written before warnings were typed carried them as notes with these prefixes
_LEGACY_PREFIXES = {"DEVIATION: ": "deviation", "SKIPPED: ": "skipped", "RARE CLASS: ": "rare_class"}


def _split_legacy_notes(notes: list[str]) -> tuple[tuple[str, ...], tuple[RunWarning, ...]]:
    kept, warnings = [], []
    for note in notes:
        prefix = next((p for p in _LEGACY_PREFIXES if note.startswith(p)), None)
        if prefix is None:
            kept.append(note)
        else:
            warnings.append(RunWarning(_LEGACY_PREFIXES[prefix], note[len(prefix) :]))
    return tuple(kept), tuple(warnings)


@dataclass(frozen=True)
class RunResult:
    """results.json: the stage rows, the energy summary, and the run's notes; `seeds` where the file is a summary
    over seeds."""

    stages: Mapping[str, StageResult]
    energy: EnergySummary | None = None
    seed: int | None = None
    seeds: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[RunWarning, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __contains__(self, key: str) -> bool:
        return key in self.stages

    def stage(self, key: str) -> StageResult:
        if key not in self.stages:
            raise SpiketextError(f"no {key} result in this run (has: {', '.join(self.stages) or 'none'})")
        return self.stages[key]

    def get(self, key: str, default: StageResult | None = None) -> StageResult | None:
        return self.stages.get(key, default)

    @classmethod
    def from_json(cls, d: Mapping[str, Any], where: str = "results.json") -> RunResult:
        """A results.json mapping; a row is a stage row where it holds a test accuracy."""
        stages, extra = {}, {}
        for key, value in d.items():
            if key in ("energy", "seed", "seeds", "notes", "warnings"):
                continue
            if isinstance(value, dict) and "test_acc" in value:
                stages[key] = StageResult.from_json(value, f"{where}: {key}")
            else:
                extra[key] = value
        notes, legacy = _split_legacy_notes(list(d.get("notes") or ()))
        warnings = tuple(RunWarning.from_json(w, f"{where}: warnings") for w in d.get("warnings") or ())
        return cls(
            stages=stages,
            energy=EnergySummary.from_json(d["energy"], where) if d.get("energy") is not None else None,
            seed=d.get("seed"),
            seeds=tuple(d.get("seeds") or ()),
            notes=notes,
            warnings=warnings + legacy,
            extra=extra,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: s.to_json() for k, s in self.stages.items()}
        if self.energy is not None:
            out["energy"] = self.energy.to_json()
        if self.seed is not None:
            out["seed"] = self.seed
        if self.seeds:
            out["seeds"] = list(self.seeds)
        out.update(self.extra)
        if self.notes:
            out["notes"] = list(self.notes)
        if self.warnings:
            out["warnings"] = [dataclasses.asdict(w) for w in self.warnings]
        return out


@dataclass(frozen=True)
class VictimSummary:
    """One victim of an attack (`attacks.summarize`): rates are fractions over its attacked examples."""

    n: int
    attacked: int
    clean_acc: float
    attacked_acc: float
    success_rate: float
    search_success_rate: float
    single_draw_success_rate: float | None = None  # judged by one fresh draw: the deployed single inference
    success_without_search_flip: int | None = None  # successes whose search gave up (judged all the same)
    confirmed: float | None = None  # successes / the search's own successes (a stochastic victim's second look)
    perturbed_words_pct: float = 0.0
    mean_queries: float = 0.0
    mean_similarity: float | None = None
    seconds: float | None = None
    victim: Mapping[str, Any] = field(default_factory=dict)  # how it was scored: kind, code, T, noise, draws
    checkpoint: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AttackReport:
    """An attack's summary JSON (`spiketext attack --json`, `api.attack`): every victim's summary, and where the
    victims share one example set, each one's paired comparison with the CNN and the CNN's examples' transfer."""

    attack: str
    n: int
    victims: tuple[str, ...]
    summaries: Mapping[str, VictimSummary]
    comparisons: Mapping[str, PairedComparison] = field(default_factory=dict)
    example_set: Mapping[str, Any] = field(default_factory=dict)  # rule, common, clean_correct per victim
    transfer: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # victim -> {n, fooled, rate}
    noise_match: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # protocol, similarity, constraints, substitutes, ...

    @property
    def shared(self) -> int | None:
        """How many examples every victim was attacked on (None: each on its own, as reports of the legacy protocol
        were made)."""
        return self.example_set.get("common")

    @classmethod
    def from_json(cls, d: Any, where: str) -> AttackReport:
        if not isinstance(d, dict) or not isinstance(d.get("victims"), list):
            raise SpiketextError(f"{where}: not an attack report (no 'victims' list): the file is damaged")
        names = {f.name for f in dataclasses.fields(VictimSummary)} - {"extra"}
        summaries = {}
        for key in d["victims"]:
            if not isinstance(d.get(key), dict):
                raise SpiketextError(f"{where}: no summary for the victim {key!r}: the file is damaged")
            s = d[key]
            summaries[key] = VictimSummary(
                **{k: v for k, v in s.items() if k in names}, extra={k: v for k, v in s.items() if k not in names}
            )
        own = {"attack", "n", "victims", "comparisons", "example_set", "transfer", "noise_match", *d["victims"]}
        return cls(
            attack=d["attack"],
            n=d["n"],
            victims=tuple(d["victims"]),
            summaries=summaries,
            comparisons={k: PairedComparison(**v) for k, v in (d.get("comparisons") or {}).items()},
            example_set=d.get("example_set") or {},
            transfer=d.get("transfer") or {},
            noise_match=d.get("noise_match"),
            extra={k: v for k, v in d.items() if k not in own},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"attack": self.attack, "n": self.n, "victims": list(self.victims), **self.extra}
        if self.noise_match is not None:
            out["noise_match"] = dict(self.noise_match)
        if self.example_set:
            out["example_set"] = dict(self.example_set)
        for key, s in self.summaries.items():
            row = {f.name: getattr(s, f.name) for f in dataclasses.fields(s) if f.name != "extra"}
            out[key] = {k: v for k, v in row.items() if v is not None or k in ("confirmed", "mean_similarity")}
            out[key].update(s.extra)
        if self.transfer:
            out["transfer"] = {k: dict(v) for k, v in self.transfer.items()}
        if self.comparisons:
            out["comparisons"] = {k: dataclasses.asdict(c) for k, c in self.comparisons.items()}
        return out
