"""Typed model descriptions, and the one place that builds a model from one.

`Architecture` (the layers) and `SNNConfig` (T, the neurons, the input code: the run's own setting) are what a
checkpoint's JSON stores under "arch" and "snn"; `build_model` turns them into a fresh module. Reading validates
(a hand-edited or damaged checkpoint gets one line naming the file and the field, never a half-built model).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from torch import nn

from spiketext.config import ModelKind, SNNConfig, choices, from_dict
from spiketext.errors import SpiketextError
from spiketext.models.architecture import Architecture
from spiketext.models.spiking import SpikingTextCNN
from spiketext.models.textcnn import StandardTextCNN, TailoredTextCNN

KINDS = choices(ModelKind)
FORMAT = "spiketext-model/1"


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
    if kind == "tailored_cnn":
        return TailoredTextCNN(arch)
    if kind == "standard_cnn":
        return StandardTextCNN(arch)  # reads raw vectors: no input domain
    if kind == "snn":
        if snn is None:
            raise ValueError("an SNN needs its SNNConfig")
        return SpikingTextCNN(arch, snn)
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
