"""The activation quantizer of the quantized transformer: L levels per sign with a trained clip.

    q(x) = s · clamp(⌊x / s + ½⌋, lo, L),   s = α / L,   lo = −L (signed) or 0 (unsigned: a quantized ReLU)

α is the trained clip (QCFS: Bu et al., ICLR 2022; its gradient as in LSQ, Esser et al., ICLR 2020: the rounding
passes the gradient straight through, and ∂q/∂s = ⌊x/s + ½⌉ − x/s inside the range, lo or L outside, scaled by
1 / √(N·L) so the step trains at the weights' pace). ⌊v + ½⌋ is exactly the count an integrate-and-fire neuron
started at θ/2 settles on (`spiketext.core.neurons.stbif_step`), which is what makes the spiking transformer equal to
this quantized one once its spikes have settled.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class Quantizer(nn.Module):
    """x [...] -> q(x) [...], or x itself while `levels` is 0 (the float ANN)."""

    def __init__(self, levels: int, signed: bool, clip: float = 1.0) -> None:
        super().__init__()
        if levels < 0:
            raise ValueError(f"levels {levels}: must be >= 0 (0: no quantization)")
        self.levels, self.signed = levels, signed
        self.clip = nn.Parameter(torch.tensor(float(clip)))
        self.observed: list[torch.Tensor] | None = None  # `observing`: a sample of the inputs, passed through

    @property
    def lo(self) -> int:
        return -self.levels if self.signed else 0

    @property
    def step(self) -> torch.Tensor:
        """s = |α| / L: one spike's worth of this site's value (the IF neurons' threshold θ)."""
        return self.clip.abs().clamp_min(1e-8) / max(self.levels, 1)

    def counts(self, x: torch.Tensor) -> torch.Tensor:
        """The integer level of every element, clamp(⌊x/s + ½⌋, lo, L) (no gradient)."""
        return torch.floor(x / self.step + 0.5).clamp(self.lo, self.levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.observed is not None:
            flat = x.detach().flatten()
            self.observed.append(flat[:: max(1, flat.numel() // 100_000)].float())
            return x
        if self.levels == 0:
            return x
        grad_scale = 1.0 / math.sqrt(x.numel() / max(x.shape[0], 1) * self.levels)
        s = self.step
        s = (s - s * grad_scale).detach() + s * grad_scale  # the value of s, the gradient of s·grad_scale
        v = (x / s).clamp(self.lo, self.levels)
        v = v + (torch.floor(v + 0.5) - v).detach()  # round, gradient straight through
        return v * s

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor, quantile: float = 0.999) -> None:
        """Set α to the `quantile` of |x| (signed) or of x⁺ (unsigned) over a sample."""
        values = x.detach().float().flatten()
        values = values.abs() if self.signed else values.clamp_min(0)
        if values.numel() > 1_000_000:  # torch.quantile's limit; a strided subsample is enough for a clip
            values = values[:: values.numel() // 1_000_000 + 1]
        self.clip.fill_(max(float(torch.quantile(values, quantile)), 1e-3))

    def extra_repr(self) -> str:
        return f"levels={self.levels}, signed={self.signed}"


@torch.no_grad()
def calibrate(model: nn.Module, run_batches, quantile: float = 0.999) -> None:
    """Set every quantizer's clip of `model` to the `quantile` of its own inputs while the float model (quantizers
    passing their inputs through) runs `run_batches()`."""
    quantizers = [m for m in model.modules() if isinstance(m, Quantizer)]
    for q in quantizers:
        q.observed = []
    try:
        run_batches()
    finally:
        samples = [q.observed for q in quantizers]
        for q in quantizers:
            q.observed = None
    for q, sample in zip(quantizers, samples, strict=True):
        if sample:
            q.calibrate(torch.cat(sample), quantile)
