"""Typed model descriptions, and the one place that builds a model from one.

`Architecture` (the layers) and `SNNConfig` (T, the neurons, the input code: the run's own setting) are what a
checkpoint's JSON stores under "arch" and "snn"; `build_model` turns them into a fresh module. Reading validates
(a hand-edited or damaged checkpoint gets one line naming the file and the field, never a half-built model).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from torch import nn

from spiketext.core.models.architecture import Architecture
from spiketext.core.models.spiking import SpikingTextCNN, check_snn
from spiketext.core.models.textcnn import StandardTextCNN, TailoredTextCNN
from spiketext.core.registry import Registry
from spiketext.errors import SpiketextError
from spiketext.settings.config import SNNConfig, from_dict

FORMAT = "spiketext-model/1"
# The TextCNN family's model kinds (a checkpoint's "kind"): (architecture, SNN settings or None) -> a fresh module.
MODELS: Registry[Callable[[Architecture, SNNConfig | None], nn.Module]] = Registry("model kind")
MODELS.add("tailored_cnn", lambda arch, snn: TailoredTextCNN(arch))
MODELS.add("standard_cnn", lambda arch, snn: StandardTextCNN(arch))  # reads raw vectors: no input domain
MODELS.add("snn", lambda arch, snn: SpikingTextCNN(arch, snn or _needs_snn()))


def _needs_snn() -> SNNConfig:
    raise ValueError("an SNN needs its SNNConfig")


def snn_from_json(d: Any, where: str) -> SNNConfig:
    """A checkpoint's "snn" mapping -> the SNNConfig it was built from (keys an older checkpoint lacks take their
    defaults); one line naming the file and the field if it is damaged."""
    if not isinstance(d, dict):
        raise SpiketextError(f"{where}: 'snn' is not a mapping; the checkpoint is damaged")
    try:
        return check_snn(from_dict(SNNConfig, d, "snn"))
    except SpiketextError as e:
        raise SpiketextError(f"{where}: {e}; the checkpoint is damaged (or edited by hand)") from None


def build_model(kind: str, arch: Architecture, snn: SNNConfig | None = None) -> nn.Module:
    """A fresh model of `kind` (a registered model kind: tailored_cnn, standard_cnn, snn)."""
    return MODELS.get(kind, "model kind")(arch, snn)


def model_meta(
    kind: str, arch: Architecture, snn: SNNConfig | None, data: dict[str, Any], extra: dict[str, Any]
) -> dict[str, Any]:
    """A checkpoint's JSON: format, kind, "arch", "snn" (or null), "data" (vocabulary, labels, transform...)."""
    MODELS.check(kind, "model kind")
    return {
        "format": FORMAT,
        "kind": kind,
        "arch": arch.to_json(),
        "snn": dataclasses.asdict(snn) if snn is not None else None,
        "data": data,
        **extra,
    }
