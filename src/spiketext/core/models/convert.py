"""CNN -> SNN conversion: a state-dict copy, optionally with weight normalization (Rueckauer et al. 2017).

The SNN shares the tailored CNN's parameter names, so plain conversion copies `convs.i.weight` and `fc.weight`.
Normalization rescales weights so each layer's largest activation λ_l maps to one spike per step at threshold θ.
With spike rates r ≈ a/λ, and the parameter-free average pooling passing rates through unchanged:

    conv:  W₁' = W₁ · θ / λ₁                 fc:  W₃' = W₃ · λ₁ · θ / λ₃

- model-based: λ from the weights alone (the largest activation any input in [0, 1] can cause):
  λ₁ = max_f Σ max(W₁_f, 0),  λ₃ = max_j Σ max(W₃_j, 0) · λ₁;
- data-based: λ = a percentile (100 = max; 99.9 is robust to outliers) of the ReLU'd activations on training data;
- qcfs: λ₁ = the trained threshold of a QCFS CNN (Bu et al., ICLR 2022), λ₃ data-based: with T = L, the membrane
  started at θ/2 and the regular input code, the IF layers reproduce the CNN's quantized activations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch

from spiketext.core.codes import is_signed
from spiketext.core.models.spiking import SpikingTextCNN
from spiketext.core.models.textcnn import TailoredTextCNN
from spiketext.core.registry import Registry


def convert(
    cnn: TailoredTextCNN, snn: SpikingTextCNN, weights: dict[str, torch.Tensor] | None = None
) -> SpikingTextCNN:
    """Copy the CNN's (optionally normalized) weights into `snn`; returns it."""
    snn.load_state_dict(weights if weights is not None else cnn.export_weights(), strict=True)
    return snn


def model_based_scales(weights: dict[str, torch.Tensor], signed: bool = False) -> tuple[float, float]:
    """(λ₁, λ₃) from the weights: the largest activation reachable with inputs in [0, 1] (in [−1, 1]: `signed`)."""
    convs = [w for name, w in weights.items() if name.startswith("convs.")]
    lam1 = max(float((w.abs() if signed else w.clamp_min(0)).sum(dim=(1, 2)).max()) for w in convs)
    lam3 = float(weights["fc.weight"].clamp_min(0).sum(dim=1).max()) * lam1
    return lam1, lam3


@torch.no_grad()
def data_based_scales(
    cnn: TailoredTextCNN, batches: Iterable[torch.Tensor], percentile: float = 99.9, max_samples: int = 2_000_000
) -> tuple[float, float]:
    """(λ₁, λ₃): the `percentile` of positive conv activations and of positive fc outputs over `batches` [B, D, L].

    At most `max_samples` values per layer are kept (a strided subsample beyond that) to bound memory.
    """
    was_training = cnn.training
    cnn.eval()
    conv_vals, fc_vals = [], []
    for x in batches:
        acts = cnn.conv_activations(x)
        conv_vals.append(torch.cat([a.flatten() for a in acts]))
        pooled = torch.cat([a.mean(-1) for a in acts], dim=-1)
        fc_vals.append(cnn.fc(pooled).flatten())
    cnn.train(was_training)

    def pct(values: list[torch.Tensor]) -> float:
        v = torch.cat(values)
        v = v[v > 0]
        if v.numel() == 0:
            return 1.0
        if v.numel() > max_samples:
            v = v[:: v.numel() // max_samples + 1]
        return float(torch.quantile(v.float(), percentile / 100)) if percentile < 100 else float(v.max())

    return pct(conv_vals), pct(fc_vals)


def normalized_weights(weights: dict[str, torch.Tensor], lam1: float, lam3: float, threshold: float = 1.0):
    """Rescale conv and fc weights by the formulas in the module docstring."""
    out = {}
    for name, w in weights.items():
        if name.startswith("convs."):
            out[name] = w * (threshold / lam1)
        else:
            out[name] = w * (lam1 * threshold / lam3)
    return out


Batches = Callable[[], Iterable[torch.Tensor]]  # training e⁺ batches [B, D, L] (data-based scales only)


@dataclass(frozen=True)
class Normalization:
    """A conversion (finetune.init, `convert --normalization`): the scales it applies to the CNN's weights, and the
    run folder's checkpoint of the SNN it makes."""

    name: str
    checkpoint: str
    scales: Callable[[TailoredTextCNN, dict[str, torch.Tensor], Batches], tuple[float, float]] | None = None


NORMALIZATIONS: Registry[Normalization] = Registry("normalization")
for _n in (
    Normalization("none", "snn_converted"),  # the plain copy
    Normalization("model", "snn_converted_model_norm",
                  lambda cnn, w, batches: model_based_scales(w, is_signed(cnn.input_domain))),
    Normalization("data_max", "snn_converted_data_norm_max",
                  lambda cnn, w, batches: data_based_scales(cnn, batches(), 100.0)),
    Normalization("data_p999", "snn_converted_data_norm_p999",
                  lambda cnn, w, batches: data_based_scales(cnn, batches(), 99.9)),
    # the conv layer's scale is the trained λ (one spike per step = λ); the output layer's the 99.9th percentile of
    # the CNN's outputs, as in the data-based normalization
    Normalization("qcfs", "snn_converted_qcfs",
                  lambda cnn, w, batches: (cnn.qcfs_scale(), data_based_scales(cnn, batches(), 99.9)[1])),
):  # fmt: skip
    NORMALIZATIONS.add(_n.name, _n)
# the run folder's checkpoint of each conversion (`spiketext.runs.folder.CHECKPOINTS` lists them all)
NORMALIZED_CHECKPOINTS = {n: NORMALIZATIONS.get(n, "normalization").checkpoint for n in NORMALIZATIONS}


def conversion_weights(
    cnn: TailoredTextCNN,
    normalization: str,
    train_batches: Batches,
    threshold: float = 1.0,
    input_scale: float = 1.0,
) -> dict[str, torch.Tensor]:
    """The SNN's weights for one conversion: the CNN's, normalized (a registered `Normalization`) and divided by the
    input rate scale α on the convolutions (rates α·e⁺ keep the conversion's expected currents).

    `train_batches()` yields e⁺ batches [B, D, L] of training data (used by the data-based normalizations only).
    """
    weights = cnn.export_weights()
    n = NORMALIZATIONS.get(normalization, "normalization")
    if n.scales is not None:
        weights = normalized_weights(weights, *n.scales(cnn, weights, train_batches), threshold)
    if input_scale != 1.0:
        weights = {k: w / input_scale if k.startswith("convs.") else w for k, w in weights.items()}
    return weights
