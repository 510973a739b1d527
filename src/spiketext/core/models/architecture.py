"""The layers of the tailored TextCNN, its SNN twin and the standard TextCNN baseline, as one typed value.

`Architecture` is what every model is built from (`TailoredTextCNN(arch)`, `SpikingTextCNN(arch, snn)`) and what a
checkpoint's JSON stores under "arch": made from the run's `ModelConfig` (`Architecture.of`) or read back from a
checkpoint (`from_json`, which names the file and the field of a damaged one). It checks itself once, however
it is built.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from spiketext.core.codes import DOMAINS
from spiketext.core.registry import Registry
from spiketext.errors import SpiketextError
from spiketext.settings.config import ModelConfig


def _field(d: dict, key: str, kind: type | tuple[type, ...], where: str, check=None, need: str = "") -> Any:
    if key not in d:
        raise SpiketextError(f"{where}: the field {key!r} is missing; the checkpoint is damaged")
    value = d[key]
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float, (int, float)))
    if not ok or (check is not None and not check(value)):
        raise SpiketextError(f"{where}: {key} = {value!r} is not {need or kind}; the checkpoint is damaged")
    return value


@dataclass(frozen=True)
class Activation:
    """The tailored CNN's hidden activation (model.activation): ReLU, or QCFS (Bu et al., ICLR 2022), quantized to
    `levels` with a trained λ (`textcnn.qcfs`), which a converted SNN reproduces with T = L steps."""

    name: str
    quantized: bool


ACTIVATIONS: Registry[Activation] = Registry("activation")
ACTIVATIONS.add("relu", Activation("relu", quantized=False))
ACTIVATIONS.add("qcfs", Activation("qcfs", quantized=True))


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
    # the CNN reads its input quantized to n levels per unit, ⌊n·|v| + ½⌋/n, as it was trained (cnn.input_levels:
    # what a deterministic code delivers in n steps); 0: as is. The SNN's own code does this for it.
    input_levels: int = 0

    def __post_init__(self) -> None:
        act = ACTIVATIONS.get(self.activation, "model.activation")
        if act.quantized and self.levels < 1:
            raise SpiketextError(f"activation {self.activation!r} with {self.levels} levels: it needs levels >= 1")
        DOMAINS.check(self.input_domain, "model.input_domain")

    @property
    def num_outputs(self) -> int:
        return self.neurons_per_class * self.num_classes

    @classmethod
    def of(cls, model: ModelConfig, dim: int, num_classes: int, levels: int, input_levels: int = 0) -> Architecture:
        """The layers `model` describes for D = `dim`, C = `num_classes`, the resolved qcfs levels (0: relu) and
        the input levels the CNN was trained on (0: none)."""
        shared = {f.name: getattr(model, f.name) for f in dataclasses.fields(cls) if hasattr(model, f.name)}
        shared.update(dim=dim, num_classes=num_classes, kernel_sizes=tuple(model.kernel_sizes), levels=levels)
        shared.update(input_levels=input_levels)
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
            "input_levels": self.input_levels,
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
        fields = dict(
            dim=_field(d, "dim", int, where, positive, pos),
            num_classes=_field(d, "num_classes", int, where, lambda v: 2 <= v <= 1 << 20, "an integer >= 2"),
            num_filters=_field(d, "num_filters", int, where, positive, pos),
            kernel_sizes=tuple(ks),
            neurons_per_class=_field(d, "neurons_per_class", int, where, positive, pos),
            dropout=float(_field(d, "dropout", (int, float), where, lambda v: 0 <= v < 1, "in [0, 1)")),
            zero_mean_filters=_field(d, "zero_mean_filters", bool, where),
            activation=_field({"activation": "relu", **d}, "activation", str, where, lambda v: v in ACTIVATIONS),
            levels=_field({"levels": 0, **d}, "levels", int, where, lambda v: 0 <= v <= 1 << 20, "an integer >= 0"),
            input_domain=_field(
                {"input_domain": "positive", **d},
                "input_domain",
                str,
                where,
                lambda v: v in DOMAINS,
                " or ".join(DOMAINS),
            ),
            input_levels=_field(
                {"input_levels": 0, **d}, "input_levels", int, where, lambda v: 0 <= v <= 1 << 20, "an integer >= 0"
            ),
        )
        try:  # the settings' combination (qcfs with no levels): checked by the value itself
            return cls(**fields)
        except SpiketextError as e:
            raise SpiketextError(f"{where}: {e}; the checkpoint is damaged") from None
