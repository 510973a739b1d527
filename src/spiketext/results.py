"""A run's results as typed values: `RunResult` (results.json) of `StageResult` rows (one per model: the CNN, the
converted and fine-tuned SNN, the baselines), read by the seed summaries, sweeps and the method table as
attributes. JSON stays the on-disk format: `from_json` reads every results.json written so far (fields a file
lacks take their defaults; fields it has that are not named here are kept in `extra`), `to_json` writes it back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spiketext.errors import SpiketextError


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


@dataclass(frozen=True)
class RunResult:
    """results.json: the stage rows, the energy summary (a mapping of ratios, see `energy.energy_summary`), and the
    run's notes; `seeds` where the file is a summary over seeds."""

    stages: Mapping[str, StageResult]
    energy: Mapping[str, Any] | None = None
    seed: int | None = None
    seeds: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
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
            if key in ("energy", "seed", "seeds", "notes"):
                continue
            if isinstance(value, dict) and "test_acc" in value:
                stages[key] = StageResult.from_json(value, f"{where}: {key}")
            else:
                extra[key] = value
        return cls(
            stages=stages,
            energy=d.get("energy"),
            seed=d.get("seed"),
            seeds=tuple(d.get("seeds") or ()),
            notes=tuple(d.get("notes") or ()),
            extra=extra,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: s.to_json() for k, s in self.stages.items()}
        if self.energy is not None:
            out["energy"] = dict(self.energy)
        if self.seed is not None:
            out["seed"] = self.seed
        if self.seeds:
            out["seeds"] = list(self.seeds)
        out.update(self.extra)
        if self.notes:
            out["notes"] = list(self.notes)
        return out
