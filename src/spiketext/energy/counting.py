"""Operation counters for the tailored CNN and the SNN, and the energy per operation (docs/design.md §1.7): what each
model computes, counted per layer; `spiketext.energy.report` turns the counts into reports.

Energy = E_AC × accumulates + E_MAC × multiply-accumulates. Costs from Horowitz (ISSCC 2014, 45 nm):
an add is the AC, a multiply plus an add the MAC (fp32 0.9 / 4.6 pJ, fp16 0.4 / 1.5 pJ, int8 0.03 / 0.23 pJ).

What is counted, per layer, from the input on:

CNN (data-independent, per sentence of padded length L):
    conv{k}  MACs = F · D · k · (L − k + 1)             (no bias; ReLU is a comparison and not counted)
    pool     ACs  = F · (L − k + 1) summed over k       (the average's sum) and MACs = F · |ks| (its 1/L' scale)
    fc       MACs = |ks| · F · n · C

SNN (counted from the spikes actually emitted, summed over T steps and the sentences):
    conv{k}  synaptic ops = Σ_l input spikes at position l × F × (number of windows covering l)
             (the exact fan-out: a position near an edge is seen by fewer windows than k)
    pool     synaptic ops = conv spikes × 1 (each adds into its filter's average) and MACs = T · |ks| · F per
             sentence (the 1/L' scale: the pooled input is not binary, so it is counted as a MAC)
    fc       synaptic ops = pool spikes × n · C
    Membrane updates: one per neuron per step (an AC for β = 1, a MAC for β < 1).

Signed input (spikes of −1 on the negative channel) costs the same as a positive spike: one AC per synapse (a
subtraction). A held-current input code (ttfs) adds one AC per first-layer neuron and step, the held current
added into the membrane (`current_acs`, counted with the synaptic ops).

Written here because no library counts synaptic operations from recorded spikes with exact convolution fan-out
(syops-counter and similar estimate from firing rates or count dense layers only).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

SOURCE = "Horowitz, 'Computing's energy problem', ISSCC 2014, 45 nm: AC = add, MAC = multiply + add"


@dataclass(frozen=True)
class EnergyCosts:
    name: str
    e_ac_pj: float
    e_mac_pj: float
    e_mem_pj: float  # one read or write of a word of this width in an 8 KB SRAM (Horowitz: 10 pJ per 64 bits)
    # one random draw and its comparison: xorshift (3 shifts, 3 xors) + a compare, 7 integer adds of the word's
    # width (Horowitz: 32-bit add 0.1 pJ, 8-bit 0.03 pJ); an estimate, stated as such in every report
    e_draw_pj: float
    source: str = SOURCE


COSTS = {
    "fp32": EnergyCosts("fp32", 0.9, 4.6, 5.0, 0.7),
    "fp16": EnergyCosts("fp16", 0.4, 1.5, 2.5, 0.35),
    "int8": EnergyCosts("int8", 0.03, 0.23, 1.25, 0.21),
}


def window_counts(length: int, k: int) -> torch.Tensor:
    """[L] how many of the L − k + 1 windows of a width-k valid convolution cover each position."""
    pos = torch.arange(length)
    hi = torch.clamp(pos, max=length - k)
    lo = torch.clamp(pos - k + 1, min=0)
    return (hi - lo + 1).clamp_min(0)


def conv_synaptic_ops(spikes: torch.Tensor, k: int, filters: int) -> int:
    """Synaptic operations of a Conv1d(D, filters, k) fed with spikes [T, B, D, L] of 0/1 (or ±1, signed): each
    spike reaches `filters` neurons in every window that covers its position."""
    per_position = spikes.double().abs().sum(dim=(0, 1, 2))  # [L]
    windows = window_counts(spikes.shape[-1], k).to(per_position)
    return int(round(float((per_position * windows).sum()))) * filters


def cnn_layer_macs(
    dim: int, length: int, num_filters: int, kernel_sizes: tuple[int, ...], outputs: int
) -> list[dict[str, int | str]]:
    """Per-sentence operations of the tailored CNN, layer by layer (see the module docstring)."""
    layers: list[dict[str, int | str]] = [
        {
            "name": f"conv{k}",
            "macs": num_filters * dim * k * (length - k + 1),
            "acs": 0,
            "outputs": num_filters * (length - k + 1),
        }
        for k in kernel_sizes
    ]
    layers.append(
        {
            "name": "pool",
            "macs": num_filters * len(kernel_sizes),
            "acs": sum(num_filters * (length - k + 1) for k in kernel_sizes),
            "outputs": num_filters * len(kernel_sizes),
        }
    )
    layers.append({"name": "fc", "macs": len(kernel_sizes) * num_filters * outputs, "acs": 0, "outputs": outputs})
    return layers


class SNNCounter:
    """Accumulates per-layer spike statistics from `SpikingTextCNN.forward(..., record=True)` over batches."""

    def __init__(
        self, kernel_sizes: tuple[int, ...], num_filters: int, outputs: int, beta: float, held_current: bool = False
    ) -> None:
        self.kernel_sizes, self.num_filters, self.outputs, self.beta = tuple(kernel_sizes), num_filters, outputs, beta
        self.held_current = held_current
        names = [f"conv{k}" for k in kernel_sizes] + ["pool", "fc"]
        zero = {
            "input_spikes": 0,
            "input_size": 0,
            "input_size_real": 0,  # input units at real word positions (× T), padding left out
            "synaptic_ops": 0,
            "current_acs": 0,
            "current_acs_real": 0,  # on windows that touch a real word (spiketext.energy.accounting)
            "macs": 0,
            "spikes": 0,
            "neuron_steps": 0,
            "neuron_steps_real": 0,
            "event_steps": 0,  # updates of an event-driven layer (models.spiking.event_updates)
        }
        self.layers = {n: dict(zero) for n in names}
        self.sentences = 0
        self.num_steps = 0

    @torch.no_grad()
    def add(
        self, layers: dict[str, torch.Tensor], words: torch.Tensor | None = None, events: dict | None = None
    ) -> None:
        """layers: {"input": [T, B, D, L], "conv{k}": [T, B, F, L−k+1], "pool": [T, B, |ks|·F], "output": ...};
        words [B, L]: True at real word positions (None: every position is a word); events: each layer's
        event-driven update count (None: every neuron every step)."""
        events = events or {}
        x = layers["input"]
        T, B = x.shape[:2]
        self.sentences += B
        self.num_steps = T
        in_spikes, in_size = int(x.double().abs().sum()), x.numel()
        in_real = T * x.shape[2] * (int(words.sum()) if words is not None else B * x.shape[-1])
        conv_spikes = conv_size = 0
        for k in self.kernel_sizes:
            s = layers[f"conv{k}"]
            c = self.layers[f"conv{k}"]
            real = int(real_windows(words, k).sum()) if words is not None else B * s.shape[-1]
            c["input_spikes"] += in_spikes
            c["input_size"] += in_size
            c["input_size_real"] += in_real
            c["synaptic_ops"] += conv_synaptic_ops(x, k, self.num_filters)
            if self.held_current:
                c["current_acs"] += s.numel()  # the held current added into each membrane, every step
                c["current_acs_real"] += T * self.num_filters * real
            n = int(s.double().sum())
            c["spikes"] += n
            c["neuron_steps"] += s.numel()
            c["neuron_steps_real"] += T * self.num_filters * real
            c["event_steps"] += events.get(f"conv{k}", s.numel())
            conv_spikes += n
            conv_size += s.numel()
        p, pool = self.layers["pool"], layers["pool"]
        p["input_spikes"] += conv_spikes
        p["input_size"] += conv_size
        p["synaptic_ops"] += conv_spikes  # fan-out 1: into its filter's average
        p["macs"] += pool.numel()  # the 1/L' scale of the pooled (non-binary) current, per neuron and step
        n_pool = int(pool.double().sum())
        p["spikes"] += n_pool
        # a two-phase (held-current) SNN clocks every neuron through both phases: the pool and output neurons are
        # updated during the T integration steps too (receiving nothing), as the rule "every neuron, every step of
        # every phase" says; the event-driven count skips those steps
        phases = 2 if self.held_current else 1
        p["neuron_steps"] += phases * pool.numel()
        p["neuron_steps_real"] += phases * pool.numel()
        p["event_steps"] += events.get("pool", pool.numel())
        f, out = self.layers["fc"], layers.get("output", layers.get("output_current"))
        f["input_spikes"] += n_pool
        f["input_size"] += pool.numel()
        f["synaptic_ops"] += n_pool * self.outputs
        f["spikes"] += int(out.double().sum()) if "output" in layers else 0  # a membrane readout emits none
        f["neuron_steps"] += phases * out.numel()  # spiking or not, each output membrane integrates every step
        f["neuron_steps_real"] += phases * out.numel()
        f["event_steps"] += events.get("fc", out.numel())


def real_windows(words: torch.Tensor, k: int) -> torch.Tensor:
    """words [B, L] (True at real word positions) -> [B] how many width-k windows touch a real word."""
    touch = torch.nn.functional.max_pool1d(words.float().unsqueeze(1), k, stride=1).squeeze(1)  # [B, L−k+1]
    return touch.sum(-1)


class CNNCounter:
    """The tailored CNN's operations over the same sentences: windows (all, and those touching a real word), and
    the nonzero inputs, activations and pooled features a zero-skipping CNN would process
    (`spiketext.energy.accounting`)."""

    def __init__(self, dim: int, num_filters: int, kernel_sizes: tuple[int, ...], outputs: int) -> None:
        self.counts: dict = {
            "dim": dim, "filters": num_filters, "outputs": outputs, "sentences": 0, "nonzero_pooled": 0,
            "has_activations": False,
            "convs": {str(k): {"windows": 0, "windows_real": 0, "nonzero_fanout": 0, "nonzero_outputs": 0}
                      for k in kernel_sizes},
        }  # fmt: skip

    @torch.no_grad()
    def add(self, x: torch.Tensor, words: torch.Tensor, cnn: torch.nn.Module | None = None) -> None:
        """x: e⁺ [B, D, L]; words [B, L]; with `cnn` (a TailoredTextCNN in eval mode) its nonzero activations."""
        c = self.counts
        B, L = words.shape
        c["sentences"] += B
        for k, conv in c["convs"].items():
            conv["windows"] += B * (L - int(k) + 1)
            conv["windows_real"] += int(real_windows(words, int(k)).sum())
        if cnn is None:
            return
        c["has_activations"] = True
        v = cnn.model_input(x)  # what it reads: its domain, quantized as it was trained
        per_position = (v != 0).double().sum(dim=(0, 1))  # [L] nonzero input units at each position
        acts = cnn.conv_activations(x)
        for (k, conv), a in zip(c["convs"].items(), acts, strict=True):
            conv["nonzero_fanout"] += int(round(float((per_position * window_counts(L, int(k)).double()).sum())))
            conv["nonzero_outputs"] += int((a != 0).sum())
        c["nonzero_pooled"] += int((cnn.features(x) != 0).sum())


def formula_snn(name: str, filters: int, outputs: int, branches: int, held: bool = False) -> str:
    if name.startswith("conv"):
        return f"Σ_l input spikes(l) × {filters} × windows(l)" + (" + T·neurons (held current)" if held else "")
    if name == "pool":
        return f"conv spikes × 1 (ACs) + T·{branches}·{filters} scales (MACs)"
    return f"pool spikes × {outputs}"
