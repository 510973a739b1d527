"""TextCNNs (docs/design.md §1.2): the tailored CNN that converts to an SNN, and Kim's standard TextCNN baseline.

Tailored: positive inputs e⁺ [B, D, L]; for each k in kernel_sizes, Conv1d(D, F, k, bias=False) -> ReLU -> mean
over all L−k+1 positions; concatenate (len(ks)·F) -> Dropout -> Linear(len(ks)·F, n·C, bias=False). Population
output: class c owns outputs [n·c, n·c + n) and its logit is their sum.

Zero-mean filters (an option, `model.zero_mean_filters`: off in the paper preset, on in the spiketext and quick
presets): each conv filter is W = V − mean(V) over its D×k entries. Positive
inputs have mean ≈ 0.5 in every dimension, so a filter's response is otherwise dominated by its weight sum; the
re-parameterisation trains several times faster (docs/design.md §4). `export_weights` returns the plain W, so
conversion is still a copy of `convs.i.weight` and `fc.weight`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from spiketext.core.codes import quantize_input, to_domain
from spiketext.core.models.architecture import Architecture


def init_linear_weights(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Conv/Linear init (Kaiming-uniform, a = √5; biases U(±1/√fan_in)), from `generator`."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Linear)):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
            if m.bias is not None:
                fan_in = m.weight[0].numel()
                nn.init.uniform_(m.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), generator=generator)


def dropout(x: torch.Tensor, p: float, training: bool, generator: torch.Generator | None) -> torch.Tensor:
    """Inverted dropout whose mask comes from an explicit generator (F.dropout takes none)."""
    if not training or p == 0:
        return x
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    return x * keep / (1 - p)


class _FloorSTE(torch.autograd.Function):
    """⌊x⌋ forward, identity backward (the straight-through estimator of QCFS)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return torch.floor(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return grad


def quantize(v: torch.Tensor, levels: int) -> torch.Tensor:
    """v -> ⌊clip(v, 0, 1)·L + ½⌋ / L: L + 1 levels in [0, 1], straight-through gradient inside [0, 1]."""
    return _FloorSTE.apply(v.clamp(0, 1) * levels + 0.5) / levels


def qcfs(a: torch.Tensor, lam: torch.Tensor, levels: int) -> torch.Tensor:
    """The clip-floor-shift activation (Bu et al., ICLR 2022): λ·clip(⌊a·L/λ + ½⌋ / L, 0, 1).

    What an IF neuron with threshold λ, membrane started at λ/2 and T = L steps emits (× λ/T) for a constant input
    current a. Gradients: straight through the floor, to a inside [0, λ], and to λ (trainable) everywhere.
    """
    return lam * quantize(a / lam, levels)


def population_logits(out: torch.Tensor, num_classes: int) -> torch.Tensor:
    """[..., n·C] -> [..., C]: the sum over each class's n output neurons."""
    return out.unflatten(-1, (num_classes, -1)).sum(-1)


class ConvLayers(nn.Module):
    """The layers every model here builds from an `Architecture`: one Conv1d [F, D, k] per kernel size and a Linear
    readout [outputs, len(ks)·F] (default n·C population neurons); bias-free unless `bias` (the standard TextCNN)."""

    def __init__(self, arch: Architecture, bias: bool = False, outputs: int | None = None) -> None:
        super().__init__()
        self.arch = arch
        self.kernel_sizes = tuple(arch.kernel_sizes)
        self.convs = nn.ModuleList(nn.Conv1d(arch.dim, arch.num_filters, k, bias=bias) for k in arch.kernel_sizes)
        self.fc = nn.Linear(arch.num_filters * len(arch.kernel_sizes), outputs or arch.num_outputs, bias=bias)

    @property
    def num_classes(self) -> int:
        return self.arch.num_classes


class TailoredTextCNN(ConvLayers):
    def __init__(self, arch: Architecture) -> None:
        """The layers `arch` describes (validated when it was built): D, C, F, the kernel sizes, n, dropout, the
        zero-mean filters, the activation (relu, or qcfs with L levels) and the input domain."""
        super().__init__(arch)
        if arch.activation == "qcfs":
            # λ: 0 until the first training batch sets it to the 99.9th percentile of the positive activations
            self.qcfs_lambda = nn.Parameter(torch.zeros(()))

    @property
    def input_domain(self) -> str:
        return self.arch.input_domain

    @property
    def activation(self) -> str:
        return self.arch.activation

    @property
    def levels(self) -> int:
        return self.arch.levels

    def conv_weight(self, i: int) -> torch.Tensor:
        w = self.convs[i].weight  # [F, D, k]
        return w - w.mean(dim=(1, 2), keepdim=True) if self.arch.zero_mean_filters else w

    def _lambda(self, pre: list[torch.Tensor]) -> torch.Tensor:
        if self.training and float(self.qcfs_lambda.detach()) <= 0:
            with torch.no_grad():
                pos = torch.cat([a.detach().flatten() for a in pre])
                pos = pos[pos > 0]
                self.qcfs_lambda.fill_(float(torch.quantile(pos.float()[:1_000_000], 0.999)) if pos.numel() else 1.0)
        return self.qcfs_lambda.abs().clamp_min(1e-3)

    def model_input(self, x: torch.Tensor) -> torch.Tensor:
        """e⁺ x [B, D, L] -> what the convolution reads [B, D, L]: the model's input domain (e⁺, or s = 2e⁺ − 1 with
        padding 0), quantized to `input_levels` where the CNN was trained so (evaluated as it was trained). Where x
        requires a gradient (a gradient attacker's), the quantization passes it straight through."""
        if self.arch.input_levels:
            q = quantize_input(x.detach(), self.arch.input_levels, self.input_domain)
            x = x + (q - x).detach() if x.requires_grad else q
        return to_domain(x, self.input_domain)

    def conv_activations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """e⁺ x [B, D, L] -> per kernel size, act(conv) [B, F, L−k+1]: ReLU, or QCFS with L levels, of the
        convolution of `model_input(x)`."""
        x = self.model_input(x)
        pre = [nn.functional.conv1d(x, self.conv_weight(i)) for i in range(len(self.convs))]
        if self.activation == "qcfs":
            lam = self._lambda(pre)
            return [qcfs(a, lam, self.levels) for a in pre]
        return [torch.relu(a) for a in pre]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, D, L] -> pooled features [B, len(ks)·F] (average pooling over positions).

        With QCFS the average is quantized to L levels of λ as well: the SNN's pooling neurons (θ = 1, membrane
        started at ½) re-emit the average conv spike rate rounded to 1/T.
        """
        pooled = torch.cat([a.mean(-1) for a in self.conv_activations(x)], dim=-1)
        if self.activation == "qcfs":
            lam = self.qcfs_lambda.abs().clamp_min(1e-3)
            pooled = lam * quantize(pooled / lam, self.levels)
        return pooled

    def qcfs_scale(self) -> float:
        """λ of a QCFS-trained CNN: the activation that one spike per step stands for."""
        if self.activation != "qcfs":
            raise ValueError("qcfs conversion needs a CNN trained with model.activation=qcfs")
        return float(self.qcfs_lambda.detach().abs().clamp_min(1e-3))

    def outputs(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """x [B, D, L] -> population outputs [B, n·C]."""
        return self.fc(dropout(self.features(x), self.arch.dropout, self.training, generator))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """x [B, D, L] -> class logits [B, C]."""
        return population_logits(self.outputs(x, generator), self.num_classes)

    def export_weights(self) -> dict[str, torch.Tensor]:
        """Plain weights under the names the SNN shares: `convs.i.weight` [F, D, k], `fc.weight` [n·C, len(ks)·F]."""
        w = {f"convs.{i}.weight": self.conv_weight(i).detach().clone() for i in range(len(self.convs))}
        w["fc.weight"] = self.fc.weight.detach().clone()
        return w


class StandardTextCNN(ConvLayers):
    """Kim (2014) TextCNN baseline: raw vectors, Conv1d with biases, ReLU, max pooling, dropout, Linear(·, C)."""

    def __init__(self, arch: Architecture) -> None:
        """D, C, F, the kernel sizes and dropout of `arch` (the tailored CNN's other settings do not apply)."""
        super().__init__(arch, bias=True, outputs=arch.num_classes)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """x [B, D, L] raw embeddings -> logits [B, C]."""
        h = torch.cat([torch.relu(conv(x)).amax(-1) for conv in self.convs], dim=-1)
        return self.fc(dropout(h, self.arch.dropout, self.training, generator))
