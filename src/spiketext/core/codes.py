"""Input codes: embedding values in [0, 1] -> binary spike trains over T steps (docs/design.md §1.3), and the two
input domains the models read.

Every code is an `InputCode` registered in `CODES` under its `snn.encoder` name: its `encode(x [B, ...], draw)
-> [T, B, ...]` (`Draw`: T, the seeded generator, the dtype, shared noise) and what the rest of spiketext asks of a
code (deterministic? a held first-layer current?). Nothing else names a code: a new code is one registration here
(docs/guide/extending.md walks through one) plus its test. The two input domains register in `DOMAINS`.

- bernoulli: the paper's rate code, x_t ~ Bernoulli(e⁺) independently for every step, unit and position, drawn
  per batch from an explicit, seeded `torch.Generator` (never precomputed for a whole data set);
- regular: deterministic, evenly spaced spikes, round(T·e⁺) of them (the generator is not used);
- ttfs: time to first spike, at most one spike per unit: a value of k/T levels fires once, at step T − k, and the
  first layer's synapses hold the current from then on (a current-based synapse that does not decay; Rueckauer &
  Liu, ISCAS 2018; Park et al., DAC 2020, T2FSNN), so the unit delivers k steps of current, the regular code's
  charge, for one spike. The first layer integrates for T steps and then fires its charge as a burst (two phases,
  as in T2FSNN; `SpikingTextCNN._current`): 2T steps of latency. The held current costs one accumulate per
  first-layer neuron and step (counted).

Input domains (`model.input_domain`, the CNN is trained in it and the SNN reads it):
- positive: e⁺ = (z + c)/(2c) ∈ [0, 1] (the paper); the shift puts the typical value at 0.5, so a rate code
  spends about T/2 spikes on a word's unit whatever the word;
- signed: s = z/c = 2e⁺ − 1 ∈ [−1, 1] at word positions and 0 at padding (which is 0 in e⁺ as well); a code
  sends |s| on a second, negative channel where s < 0 (spikes of −1: the synapse subtracts instead of adds,
  one AC either way), about half the spikes of the shifted code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from spiketext.core.registry import Registry


@dataclass(frozen=True)
class Draw:
    """How one pass draws its input spikes [T, B, D, L]: T steps (None: the model's own snn.num_steps), the seeded
    random stream (None: unseeded; a deterministic code ignores it), the spike and autocast dtype (None: fp32), and
    whether the batch shares its noise (every sentence against the same uniforms: a sentence's spikes then depend
    on the seed alone, not on its place in the batch)."""

    num_steps: int | None = None
    generator: torch.Generator | None = None
    dtype: torch.dtype | None = None
    shared_noise: bool = False

    def __post_init__(self) -> None:
        if self.num_steps is not None and (isinstance(self.num_steps, bool) or self.num_steps < 1):
            raise ValueError(f"Draw.num_steps {self.num_steps!r}: T must be an integer >= 1 (None: the model's own)")


DEFAULT_DRAW = Draw()  # the model's own T, an unseeded stream, fp32, noise per sentence


def _steps(draw: Draw) -> int:
    if draw.num_steps is None:
        raise ValueError("an input code needs T: pass Draw(num_steps=T, ...)")
    return draw.num_steps


def bernoulli_encode(x: torch.Tensor, draw: Draw) -> torch.Tensor:
    """x [B, ...] with values in [0, 1] -> spikes [T, B, ...] of 0/1 in `draw.dtype` (default x's dtype).

    Spikes are exact in bf16/fp16, so a low-precision dtype halves memory without changing a single spike.
    With `draw.shared_noise`, every sentence of the batch is compared against the same uniforms U [T, ...] (spikes
    = U < x): a sentence's spikes then depend on the generator's seed alone, not on its place in the batch.
    """
    num_steps, generator, dtype = _steps(draw), draw.generator, draw.dtype or x.dtype
    shape = x.shape[1:] if draw.shared_noise else x.shape
    if x.device.type != "cpu":  # one launch; the GPU has the memory
        u = torch.rand((num_steps, *shape), generator=generator, device=x.device, dtype=torch.float32)
        return (u.unsqueeze(1) if draw.shared_noise else u).lt(x.float().unsqueeze(0)).to(dtype)
    # On a CPU, one step at a time: the same random stream as a single [T, ...] draw (a test checks this), without
    # a transient fp32 [T, ...] tensor of uniforms (48 MB at the paper's shape), and in cache.
    out = torch.empty((num_steps, *x.shape), dtype=dtype)
    xf, u = x.float(), torch.empty(shape, dtype=torch.float32)
    for t in range(num_steps):
        u.uniform_(generator=generator)
        torch.lt(u, xf, out=out[t])
    return out


def regular_encode(x: torch.Tensor, draw: Draw) -> torch.Tensor:
    """x [B, ...] in [0, 1] -> spikes [T, B, ...]: a deterministic rate code with evenly spaced spikes,
    S[t] = ⌊(t+1)·x + ½⌋ − ⌊t·x + ½⌋, so that a unit fires round(T·x) times in T steps.

    The same mean rate as the Bernoulli code without its sampling noise (Bernoulli's rate error after T steps has
    standard deviation √(x(1−x)/T), 0.25 at T = 4): at equal T, equal spike counts and so equal energy.
    """
    xf = x.float().unsqueeze(0)
    t = torch.arange(_steps(draw) + 1, device=x.device, dtype=torch.float32).view(-1, *([1] * x.dim()))
    counts = torch.floor(t * xf + 0.5)  # [T+1, B, ...]
    return (counts[1:] - counts[:-1]).to(draw.dtype or x.dtype)


def ttfs_encode(x: torch.Tensor, draw: Draw) -> torch.Tensor:
    """x [B, ...] in [0, 1] -> spikes [T, B, ...]: one spike at step T − k for k = ⌊T·x + ½⌋ ≥ 1, none for k = 0.

    Read with a held synaptic current (`HELD_CURRENT_CODES`): the spike at T − k is seen for k steps, so the first
    layer integrates k/T of its weight, as from the regular code's round(T·x) spikes.
    """
    num_steps = _steps(draw)
    k = torch.floor(x.float().clamp(0, 1) * num_steps + 0.5)  # [B, ...] levels 0..T
    t = torch.arange(num_steps, device=x.device, dtype=torch.float32).view(-1, *([1] * x.dim()))
    return ((t == num_steps - k.unsqueeze(0)) & (k.unsqueeze(0) > 0)).to(draw.dtype or x.dtype)


InputCodeFn = Callable[[torch.Tensor, Draw], torch.Tensor]  # (x [B, ...], the draw with its T) -> spikes [T, B, ...]


@dataclass(frozen=True)
class InputCode:
    """An input code: how values in [0, 1] become spikes, and the facts about it the rest of spiketext reads."""

    name: str
    encode: InputCodeFn
    deterministic: bool  # the same spikes at every draw (the generator unused)
    held_current: bool = False  # the first layer's synaptic current persists after the spike (two phases)


CODES: Registry[InputCode] = Registry("input code")
for _code in (
    InputCode("bernoulli", bernoulli_encode, deterministic=False),
    InputCode("regular", regular_encode, deterministic=True),
    InputCode("ttfs", ttfs_encode, deterministic=True, held_current=True),
):
    CODES.add(_code.name, _code)


def input_code(name: str) -> InputCode:
    """The registered code `name` (snn.encoder), or one line naming the closest."""
    return CODES.get(name, "snn.encoder")


def signed_input(x: torch.Tensor) -> torch.Tensor:
    """e⁺ [B, D, L] -> s [B, D, L]: 2e⁺ − 1 at word positions, 0 at padding (a position whose D values are all 0)."""
    return torch.where(word_units(x), 2 * x - 1, torch.zeros((), dtype=x.dtype, device=x.device))


def word_units(x: torch.Tensor) -> torch.Tensor:
    """e⁺ [B, D, L] -> [B, 1, L]: True at word positions (padding is the all-zero column)."""
    return x.abs().amax(dim=1, keepdim=True) > 0


@dataclass(frozen=True)
class Domain:
    """An input domain a model reads (model.input_domain): e⁺ -> the values its first layer sees, and whether they
    are signed (then a code sends |v| and the spike's sign carries v's)."""

    name: str
    read: Callable[[torch.Tensor], torch.Tensor]
    signed: bool


DOMAINS: Registry[Domain] = Registry("input domain")
DOMAINS.add("positive", Domain("positive", lambda x: x, signed=False))
DOMAINS.add("signed", Domain("signed", signed_input, signed=True))


def is_signed(domain: str) -> bool:
    return DOMAINS.get(domain, "model.input_domain").signed


def to_domain(x: torch.Tensor, domain: str) -> torch.Tensor:
    """e⁺ [B, D, L] -> what a model of `domain` reads: e⁺ itself (positive) or s (signed)."""
    return DOMAINS.get(domain, "model.input_domain").read(x)


def quantize_input(x: torch.Tensor, levels: int, domain: str = "positive") -> torch.Tensor:
    """e⁺ [B, D, L] -> e⁺ whose `domain` value v is quantized to sign(v)·⌊n·|v| + ½⌋/n (n = `levels`): what a
    deterministic code delivers in n steps. Returned in e⁺, so the model maps it to its domain as usual."""
    if not is_signed(domain):
        return torch.floor(x * levels + 0.5) / levels
    s = signed_input(x)
    q = torch.sign(s) * torch.floor(s.abs() * levels + 0.5) / levels
    return torch.where(word_units(x), (q + 1) / 2, torch.zeros((), dtype=x.dtype, device=x.device))


def dither(
    v: torch.Tensor, sigma: float, generator: torch.Generator | None, signed: bool, shared_noise: bool = False
) -> torch.Tensor:
    """Input noise: a domain value v [B, ...] -> v + σ·ε at its nonzero units (ε ~ N(0, 1), one draw per unit from
    `generator`; shared over the batch with `shared_noise`), clipped to [−1, 1] (signed) or [0, 1]. Padding and
    dead-zone units (0) stay 0, so they stay silent."""
    shape = v.shape[1:] if shared_noise else v.shape
    eps = torch.randn(shape, generator=generator, device=v.device, dtype=torch.float32)
    noisy = (v.float() + sigma * eps).clamp(-1.0 if signed else 0.0, 1.0).to(v.dtype)
    return torch.where(v != 0, noisy, v)


def binomial_rates(
    x: torch.Tensor, num_steps: int, generator: torch.Generator | None = None, shared_noise: bool = False
) -> torch.Tensor:
    """The rate a Bernoulli train of T steps delivers: Binomial(T, x) / T, shape of x [B, ...]; with
    `shared_noise` every sentence of the batch reads the same draws (its rate depends on the seed alone).

    Training the CNN on these noisy rates teaches it the noise its converted SNN will see (docs/design.md §4).
    """
    if shared_noise:  # Binomial(T, x) as T uniforms U [T, ...] below x, the same U for the whole batch
        u = torch.rand((num_steps, *x.shape[1:]), generator=generator, device=x.device, dtype=torch.float32)
        return (u.unsqueeze(1) < x.float().unsqueeze(0)).float().mean(0).to(x.dtype)
    count = torch.full_like(x, float(num_steps), dtype=torch.float32)
    return (torch.binomial(count, x.float().clamp(0, 1), generator=generator) / num_steps).to(x.dtype)
