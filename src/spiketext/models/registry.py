"""Typed model descriptions, and the one place that builds a model from one.

`Architecture` (the layers) and `SNNConfig` (T, the neurons, the input code: the run's own setting) are what a
checkpoint's JSON stores under "arch" and "snn"; `build_model` turns them into a fresh module. Reading validates
(a hand-edited or damaged checkpoint gets one line naming the file and the field, never a half-built model).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from torch import nn

from spiketext.config import Activation, ModelConfig, ModelKind, SNNConfig, choices, from_dict
from spiketext.encoding import INPUT_DOMAINS
from spiketext.errors import SpiketextError
from spiketext.models.spiking import SpikingTextCNN
from spiketext.models.textcnn import StandardTextCNN, TailoredTextCNN

KINDS = choices(ModelKind)
FORMAT = "spiketext-model/1"


def _field(d: dict, key: str, kind: type | tuple[type, ...], where: str, check=None, need: str = "") -> Any:
    if key not in d:
        raise SpiketextError(f"{where}: the field {key!r} is missing; the checkpoint is damaged")
    value = d[key]
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float, (int, float)))
    if not ok or (check is not None and not check(value)):
        raise SpiketextError(f"{where}: {key} = {value!r} is not {need or kind}; the checkpoint is damaged")
    return value


@dataclass(frozen=True)
class Architecture:
    """The layers shared by the tailored CNN and the SNN (and the standard TextCNN's subset)."""

    dim: int
    num_classes: int
    num_filters: int = 100
    kernel_sizes: tuple[int, ...] = (3, 4, 5)
    neurons_per_class: int = 10
    dropout: float = 0.5
    zero_mean_filters: bool = False
    activation: str = "relu"  # the CNN's (relu | qcfs); the SNN's neurons replace it
    levels: int = 0  # L of the qcfs activation
    input_domain: str = "positive"  # what both models read: e⁺ (positive) or s = 2e⁺ − 1 (signed)

    @property
    def num_outputs(self) -> int:
        return self.neurons_per_class * self.num_classes

    @classmethod
    def of(cls, model: ModelConfig, dim: int, num_classes: int, levels: int) -> Architecture:
        """The layers `model` describes for D = `dim`, C = `num_classes` and the resolved qcfs levels (0: relu)."""
        shared = {f.name: getattr(model, f.name) for f in dataclasses.fields(cls) if hasattr(model, f.name)}
        shared.update(dim=dim, num_classes=num_classes, kernel_sizes=tuple(model.kernel_sizes), levels=levels)
        return cls(**shared)

    def to_json(self) -> dict[str, Any]:
        return {
            "dim": self.dim,
            "num_classes": self.num_classes,
            "num_filters": self.num_filters,
            "kernel_sizes": list(self.kernel_sizes),
            "neurons_per_class": self.neurons_per_class,
            "dropout": self.dropout,
            "zero_mean_filters": self.zero_mean_filters,
            "activation": self.activation,
            "levels": self.levels,
            "input_domain": self.input_domain,
        }

    @classmethod
    def from_json(cls, d: Any, where: str) -> Architecture:
        if not isinstance(d, dict):
            raise SpiketextError(f"{where}: 'arch' is not a mapping; the checkpoint is damaged")
        pos = "a positive integer"

        def positive(v: int) -> bool:
            return 1 <= v <= 1 << 20

        ks = _field(d, "kernel_sizes", list, where)
        if not ks or not all(isinstance(k, int) and not isinstance(k, bool) and positive(k) for k in ks):
            raise SpiketextError(f"{where}: kernel_sizes = {ks!r} must be positive integers; the checkpoint is damaged")
        return cls(
            dim=_field(d, "dim", int, where, positive, pos),
            num_classes=_field(d, "num_classes", int, where, lambda v: 2 <= v <= 1 << 20, "an integer >= 2"),
            num_filters=_field(d, "num_filters", int, where, positive, pos),
            kernel_sizes=tuple(ks),
            neurons_per_class=_field(d, "neurons_per_class", int, where, positive, pos),
            dropout=float(_field(d, "dropout", (int, float), where, lambda v: 0 <= v < 1, "in [0, 1)")),
            zero_mean_filters=_field(d, "zero_mean_filters", bool, where),
            activation=_field(
                {"activation": "relu", **d}, "activation", str, where, lambda v: v in choices(Activation)
            ),
            levels=_field({"levels": 0, **d}, "levels", int, where, lambda v: 0 <= v <= 1 << 20, "an integer >= 0"),
            input_domain=_field(
                {"input_domain": "positive", **d},
                "input_domain",
                str,
                where,
                lambda v: v in INPUT_DOMAINS,
                " or ".join(INPUT_DOMAINS),
            ),
        )


def snn_from_json(d: Any, where: str) -> SNNConfig:
    """A checkpoint's "snn" mapping -> the SNNConfig it was built from (keys an older checkpoint lacks take their
    defaults); one line naming the file and the field if it is damaged."""
    if not isinstance(d, dict):
        raise SpiketextError(f"{where}: 'snn' is not a mapping; the checkpoint is damaged")
    try:
        return from_dict(SNNConfig, d, "snn")
    except SpiketextError as e:
        raise SpiketextError(f"{where}: {e}; the checkpoint is damaged (or edited by hand)") from None


def build_model(kind: str, arch: Architecture, snn: SNNConfig | None = None) -> nn.Module:
    """A fresh model of `kind` (tailored_cnn, standard_cnn, snn)."""
    common = {
        "dim": arch.dim,
        "num_classes": arch.num_classes,
        "num_filters": arch.num_filters,
        "kernel_sizes": arch.kernel_sizes,
    }
    if kind == "tailored_cnn":
        return TailoredTextCNN(
            **common,
            neurons_per_class=arch.neurons_per_class,
            dropout=arch.dropout,
            zero_mean_filters=arch.zero_mean_filters,
            activation=arch.activation,
            levels=arch.levels,
            input_domain=arch.input_domain,
        )
    if kind == "standard_cnn":
        return StandardTextCNN(**common, dropout=arch.dropout)  # reads raw vectors: no input domain
    if kind == "snn":
        if snn is None:
            raise ValueError("an SNN needs its SNNConfig")
        return SpikingTextCNN(
            **common, neurons_per_class=arch.neurons_per_class, snn=snn, input_domain=arch.input_domain
        )
    raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(KINDS)}")


def model_meta(
    kind: str, arch: Architecture, snn: SNNConfig | None, data: dict[str, Any], extra: dict[str, Any]
) -> dict[str, Any]:
    """A checkpoint's JSON: format, kind, "arch", "snn" (or null), "data" (vocabulary, labels, transform...)."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}")
    return {
        "format": FORMAT,
        "kind": kind,
        "arch": arch.to_json(),
        "snn": dataclasses.asdict(snn) if snn is not None else None,
        "data": data,
        **extra,
    }
