"""The one input front-end: e⁺ -> what a model reads (docs/design.md §1.3, §1.6).

Every model reads its input through one `FrontEnd` value, in this order: the input domain (e⁺, or s = 2e⁺ − 1) ->
Gaussian input noise σ on the domain value (word units only) -> quantization to n levels (what a deterministic
code delivers in n steps) -> for a CNN, Bernoulli-rate noise of n steps, or for an SNN, its input code over T
steps at rate α·|v|. The CNN trained for an SNN, the SNN itself, the attack's victims and controls and the energy
counter all build theirs here, so "the input an SNN reads" is written once: `FrontEnd.of_snn` and
`FrontEnd.of_cnn` (the CNN trained for that SNN) from a run's settings.

May import: torch, spiketext.core.codes, spiketext.settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from spiketext.core.codes import (
    CODES,
    DOMAINS,
    Draw,
    binomial_rates,
    dither,
    input_code,
    quantize_input,
    to_domain,
    word_units,
)
from spiketext.errors import SpiketextError


@dataclass(frozen=True)
class FrontEnd:
    """domain -> noise -> levels -> code: how e⁺ [B, D, L] becomes what a model reads.

    `values` gives a CNN's input (returned in e⁺, which the model maps to its domain), `spikes` an SNN's input
    spikes [T, B, D, L]. Settings are checked against the registries when the value is built."""

    domain: str = "positive"  # a registered input domain (model.input_domain)
    noise: float = 0.0  # σ of Gaussian noise on each word unit's domain value (snn.input_noise); 0: none
    levels: int = 0  # n > 0: |v| quantized to n levels, ⌊n·|v| + ½⌋/n (a CNN's cnn.input_levels); 0: not quantized
    rate_steps: int = 0  # n > 0: a CNN reads Binomial(n, e⁺)/n, the rate of n Bernoulli steps (cnn.noise_steps)
    code: str = "bernoulli"  # a registered input code (snn.encoder): an SNN's spikes
    scale: float = 1.0  # α: an SNN's input rate is α·|v| (snn.input_scale)

    def __post_init__(self) -> None:
        DOMAINS.check(self.domain, "model.input_domain")
        CODES.check(self.code, "snn.encoder")
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise SpiketextError(f"snn.input_noise: {self.noise} must be a number >= 0")
        if self.levels < 0 or self.rate_steps < 0:
            raise SpiketextError(f"input levels {self.levels} and noise steps {self.rate_steps} must be >= 0")
        if self.noise and self.rate_steps:
            raise SpiketextError(
                "snn.input_noise: Gaussian input noise and Bernoulli-rate noise (cnn.noise_steps) are alternatives; "
                "set one of them to 0"
            )
        if self.rate_steps and self.signed:
            raise SpiketextError("cnn.noise_steps: Bernoulli-rate noise is defined for the positive domain only")
        if not 0 < self.scale <= 1:
            raise SpiketextError(f"snn.input_scale: {self.scale} must lie in (0, 1]")

    @classmethod
    def of_snn(cls, domain: str, snn) -> FrontEnd:
        """An SNN's front-end from its settings (`SNNConfig`: encoder, input_noise, input_scale)."""
        return cls(domain, noise=snn.input_noise, code=snn.encoder, scale=snn.input_scale)

    @classmethod
    def of_cnn(cls, cfg) -> FrontEnd:
        """What the tailored CNN of a run (`RunConfig`) trains on: its SNN's noise, quantized and Bernoulli-rate
        noise as its settings ask ("T" resolved to snn.num_steps)."""
        return cls(
            cfg.model.input_domain,
            noise=cfg.snn.input_noise,
            levels=cfg.cnn_input_levels(),
            rate_steps=cfg.cnn_noise_steps(),
        )

    @property
    def signed(self) -> bool:
        return DOMAINS.get(self.domain, "model.input_domain").signed

    @property
    def stochastic(self) -> bool:
        """Whether an SNN reading this gives a new answer at each draw (a random code, or input noise)."""
        return self.noise > 0 or not input_code(self.code).deterministic

    @property
    def noisy(self) -> bool:
        """Whether a CNN reading this gives a new answer at each draw."""
        return self.noise > 0 or self.rate_steps > 0

    def values(self, x: torch.Tensor, generator: torch.Generator | None, shared_noise: bool = False) -> torch.Tensor:
        """e⁺ x [B, D, L] -> the e⁺ a CNN reads [B, D, L]: dithered by σ, quantized to n levels, then the rate of
        `rate_steps` Bernoulli steps; noise from `generator` (shared over the batch with `shared_noise`)."""
        if self.noise:
            v = dither(to_domain(x, self.domain), self.noise, generator, self.signed, shared_noise)
            if self.signed:  # back to e⁺; padding stays the all-zero column
                v = torch.where(word_units(x), (v + 1) / 2, torch.zeros((), dtype=x.dtype, device=x.device))
            x = v
        if self.levels:
            x = quantize_input(x, self.levels, self.domain)
        if self.rate_steps:
            x = binomial_rates(x, self.rate_steps, generator, shared_noise)
        return x

    def spikes(self, x: torch.Tensor, draw: Draw) -> torch.Tensor:
        """e⁺ x [B, D, L] -> input spikes [T, B, D, L] (T = `draw.num_steps`) for α·v in the code: 0/1, or for the
        signed domain −1/0/1 (|v| coded, the sign carried by the spike's channel). With input noise σ, v + σ·ε
        is coded instead at every nonzero unit, clipped to the domain: padding and dead-zone units stay silent."""
        v = to_domain(x, self.domain)
        if self.noise > 0:
            v = dither(v, self.noise, draw.generator, self.signed, draw.shared_noise)
        rate = v.abs() if self.signed else v
        rate = rate if self.scale == 1.0 else rate * self.scale
        spikes = input_code(self.code).encode(rate, draw)
        return spikes * torch.sign(v).to(spikes.dtype) if self.signed else spikes

    def spikes_ste(self, x: torch.Tensor, draw: Draw) -> torch.Tensor:
        """`spikes(x, draw)` [T, B, D, L] whose gradient with respect to x is that of their rate α·v at every step
        (straight-through: a spike train is a noisy, quantized copy of its rate): what a gradient attacker
        differentiates through the input code."""
        spikes = self.spikes(x.detach(), draw)
        rate = self.scale * to_domain(x, self.domain)  # signed for the signed domain: the spikes carry the sign
        return spikes + (rate - rate.detach()).unsqueeze(0).to(spikes.dtype)

    def noise_draws(self, dim: int, length: int, num_steps: int) -> tuple[int, int]:
        """Random draws per sentence of `length` words: (the code's, one uniform per unit and step for a random
        code; the noise's, one normal per unit), for the energy report."""
        code = dim * length * num_steps if not input_code(self.code).deterministic else 0
        return code, dim * length if self.noise > 0 else 0
