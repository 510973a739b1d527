"""Leaky integrate-and-fire (LIF) neurons and surrogate gradients (docs/design.md §1.3).

Dynamics, per neuron, with reset by subtraction (default) or to zero:

    U[t] = β·U[t−1] + I[t] − θ·S[t−1]          (subtract)
    U[t] = β·U[t−1]·(1 − S[t−1]) + I[t]         (zero)
    S[t] = H(U[t] − θ) with H(0) = 0 (as snnTorch),  U[0] = v₀·θ,  β = 1: the integrate-and-fire (IF) neuron.
v₀ = 0 is the paper's rest state; v₀ = ½ starts the membrane half-way to threshold, which turns the IF neuron's
spike count into round() instead of floor() of its input (QCFS: Bu et al., ICLR 2022).

The Heaviside H has the surrogate derivative ∂S/∂U ≈ σ'(U − θ):
    fast_sigmoid  1 / (1 + k·|x|)²                          (k = 25; snnTorch's default slope)
    arctan        (α/2) / (1 + (π/2·α·x)²)                   (α = k; snnTorch's atan uses α = 2)
    sigmoid       k·s(kx)·(1 − s(kx)),  s the logistic
    triangle      max(0, 1 − k·|x|)·k                        (normalised to unit area)
    straight_through  1
The reset is detached from the graph (as in snnTorch), so ∂U[t]/∂U[t−1] = β (subtract) and BPTT through the
neuron is the linear reverse recurrence g[t] = σ'[t]·∂L/∂S[t] + β·g[t+1], ∂L/∂I[t] = g[t]. `lif_scan` runs
the forward loop without autograd bookkeeping and that recurrence as a hand-written backward, saving only
U[t] − θ (one tensor of the input's size and dtype); for β = 1 the backward is a reverse cumulative sum.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from spiketext.core.registry import Registry
from spiketext.settings.config import SNNConfig

SURROGATES: Registry[Callable[[torch.Tensor, float], torch.Tensor]] = Registry("surrogate gradient")
DEFAULT_NEURON = SNNConfig()  # IF neurons: β = 1, θ = 1, reset by subtraction, fast sigmoid (k = 25), U[0] = 0


@SURROGATES.register("fast_sigmoid")
def fast_sigmoid(x: torch.Tensor, slope: float) -> torch.Tensor:
    return 1.0 / (1.0 + slope * x.abs()).square()


@SURROGATES.register("arctan")
def arctan(x: torch.Tensor, slope: float) -> torch.Tensor:
    return (slope / 2) / (1 + (math.pi / 2 * slope * x).square())


@SURROGATES.register("sigmoid")
def sigmoid(x: torch.Tensor, slope: float) -> torch.Tensor:
    s = torch.sigmoid(slope * x)
    return slope * s * (1 - s)


@SURROGATES.register("triangle")
def triangle(x: torch.Tensor, slope: float) -> torch.Tensor:
    return slope * (1 - slope * x.abs()).clamp_min(0)


@SURROGATES.register("straight_through")
def straight_through(x: torch.Tensor, slope: float) -> torch.Tensor:
    return torch.ones_like(x)


def surrogate_grad(x: torch.Tensor, kind: str = "fast_sigmoid", slope: float = 25.0) -> torch.Tensor:
    """σ'(x) for x = U − θ (see the module docstring); `kind` a registered surrogate."""
    return SURROGATES.get(kind, "snn.surrogate")(x, slope)


class SpikeFn(torch.autograd.Function):
    """S = H(x) forward, σ'(x) backward. x = U − θ."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, kind: str, slope: float) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.kind, ctx.slope = kind, slope
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad * surrogate_grad(x, ctx.kind, ctx.slope), None, None


def spike(x: torch.Tensor, kind: str = "fast_sigmoid", slope: float = 25.0) -> torch.Tensor:
    return SpikeFn.apply(x, kind, slope)


def lif_step(
    current: torch.Tensor,
    mem: torch.Tensor,
    prev_spike: torch.Tensor,
    beta: float = 1.0,
    threshold: float = 1.0,
    reset: str = "subtract",
    surrogate: str = "fast_sigmoid",
    slope: float = 25.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step with autograd: returns (S[t], U[t]). The reference the fused scan is tested against."""
    r = prev_spike.detach()
    mem = beta * mem + current - threshold * r if reset == "subtract" else beta * mem * (1 - r) + current
    return spike(mem - threshold, surrogate, slope), mem


def lif_loop(current: torch.Tensor, p: SNNConfig = DEFAULT_NEURON) -> torch.Tensor:
    """current [T, ...] -> spikes [T, ...], one autograd step at a time (reference implementation).

    `p`: the neurons' β, θ, reset, surrogate, slope and U[0] (the SNN's settings; its other fields are not read).
    """
    beta, threshold, reset, surrogate, slope = p.beta, p.threshold, p.reset, p.surrogate, p.slope
    init_membrane = p.init_membrane
    mem = torch.full_like(current[0], init_membrane * threshold)
    s = torch.zeros_like(current[0])
    out = []
    for t in range(current.shape[0]):
        s, mem = lif_step(current[t], mem, s, beta, threshold, reset, surrogate, slope)
        out.append(s)
    return torch.stack(out)


_CACHE_FLOATS = 1 << 18  # 1 MiB of fp32: one core's L2 on current x86 CPUs


class _LIFScan(torch.autograd.Function):
    # Both passes walk time one step at a time, so every op works on one step's slice [N], which stays in the
    # CPU's L2 cache, and never on a whole [T, N] tensor (a chain of whole-tensor element-wise ops streams
    # T·N floats through memory once per op: measured, the surrogate alone took 60 ms a step at the paper's
    # shape). The membrane is integrated in fp32 whatever the input dtype (a bf16 membrane would lose small
    # currents over T steps); spikes come back in the input dtype, where 0/1 are exact. Saved for BPTT: the
    # distance to threshold U − θ [T, ...] in the input dtype (in bf16 that halves the largest saved tensor; its
    # relative error 2⁻⁹ only perturbs the surrogate's argument), and the spikes for the zero reset.
    @staticmethod
    def forward(ctx, current, beta, threshold, reset, surrogate, slope, init=0.0):  # type: ignore[override]
        T = current.shape[0]
        need_grad = ctx.needs_input_grad[0]
        spikes = torch.empty_like(current)
        trace = torch.empty_like(current) if need_grad else None
        mem = current[0].to(torch.float32, copy=True)
        if init:
            mem.add_(init)  # β·U[0] = β·v₀·θ: the first step's decayed initial membrane
        s = torch.zeros_like(mem)
        for t in range(T):
            if t:
                if reset == "zero":
                    mem.mul_(1.0 - s)
                if beta != 1.0:
                    mem.mul_(beta)
                mem.add_(current[t])
                if reset == "subtract":
                    mem.sub_(s, alpha=threshold)
            torch.gt(mem, threshold, out=s)
            spikes[t] = s
            if trace is not None:
                torch.sub(mem, threshold, out=trace[t])
        if trace is not None:
            ctx.save_for_backward(trace, spikes if reset == "zero" else None)
        ctx.beta, ctx.threshold, ctx.reset, ctx.surrogate, ctx.slope = beta, threshold, reset, surrogate, slope
        return spikes

    @staticmethod
    def backward(ctx, grad_spikes):  # type: ignore[override]
        trace, spikes = ctx.saved_tensors  # U − θ [T, ...], and spikes for the zero reset
        beta, reset = ctx.beta, ctx.reset
        T, N = trace.shape[0], trace[0].numel()
        grad = torch.empty_like(grad_spikes)
        g = torch.zeros_like(trace[0], dtype=torch.float32)  # ∂L/∂U[t]
        # The surrogate term a[t] = σ'(U[t] − θ)·∂L/∂S[t] is computed for a block of steps at a time, sized to
        # stay in cache on a CPU (one step for the convolution layer, all T for the small layers).
        block = T if trace.is_cuda else max(1, _CACHE_FLOATS // max(N, 1))  # a GPU is launch-bound: all T
        for hi in range(T, 0, -block):
            lo = max(0, hi - block)
            a = surrogate_grad(trace[lo:hi].float(), ctx.surrogate, ctx.slope).mul_(grad_spikes[lo:hi])
            for t in range(hi - 1, lo - 1, -1):
                # g[t] = a[t] + decay·g[t+1], with ∂U[t+1]/∂U[t] = β (subtract) or β·(1 − S[t]) (zero; the
                # reset factor is detached). For β = 1 and subtraction: a reverse cumulative sum.
                if reset == "zero":
                    g.mul_(1 - spikes[t].float())
                if beta != 1.0:
                    g.mul_(beta)
                g.add_(a[t - lo])
                grad[t] = g
        return grad, None, None, None, None, None, None


def lif_scan(current: torch.Tensor, p: SNNConfig = DEFAULT_NEURON) -> torch.Tensor:
    """current [T, ...] -> spikes [T, ...]; same numbers as `lif_loop`, with a fused hand-written backward.

    `p` as for `lif_loop` (validated when it was built, so the kernel checks nothing).
    """
    init = float(p.beta * p.init_membrane * p.threshold)
    return _LIFScan.apply(current, float(p.beta), float(p.threshold), p.reset, p.surrogate, float(p.slope), init)


class LIF(torch.nn.Module):
    """A layer of LIF neurons over time: [T, ...] currents -> [T, ...] spikes (state lives in one call)."""

    def __init__(self, params: SNNConfig | None = None) -> None:
        """`params`: the SNN's settings; a layer reads β, θ, the reset, the surrogate, its slope and U[0]."""
        super().__init__()
        self.params = params or SNNConfig()

    @property
    def beta(self) -> float:
        return self.params.beta

    def forward(self, current: torch.Tensor) -> torch.Tensor:
        return lif_scan(current, self.params)

    def extra_repr(self) -> str:
        p = self.params
        return f"beta={p.beta}, threshold={p.threshold}, reset={p.reset}, surrogate={p.surrogate}, v0={p.init_membrane}"


def stbif_step(
    current: torch.Tensor, mem: torch.Tensor, count: torch.Tensor, threshold: torch.Tensor | float, lo: int, hi: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step of the signed integrate-and-fire neuron of a converted transformer (SpikeZIP-TF's ST-BIF):

        V[t] = V[t−1] + I[t];   S[t] = +1 if V[t] ≥ θ and C < hi,  −1 if V[t] < 0 and C > lo,  else 0
        V[t] −= θ·S[t];  C += S[t]                      (V[0] = θ/2, C[0] = 0)

    Fed the increments of an input X, its count settles on clamp(⌊X/θ + ½⌋, lo, hi): the quantizer's level.
    current, mem, count [...] -> (spike, mem, count), each [...]."""
    mem = mem + current
    spike = ((mem >= threshold) & (count < hi)).to(mem.dtype) - ((mem < 0) & (count > lo)).to(mem.dtype)
    return spike, mem - spike * threshold, count + spike
