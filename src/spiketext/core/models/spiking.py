"""The spiking TextCNN (docs/design.md §1.3): same layers and parameter names as `TailoredTextCNN`.

Per time step: conv (k = 3, 4, 5) -> LIF -> mean over positions -> LIF -> Linear -> LIF. Each layer runs over
all T steps at once: the convolution sees the [T·B, D, L] batch (T folded into the batch), then one fused LIF
scan per layer walks the time axis (on a CPU, one per convolution branch, to keep one branch's currents in
memory at a time; on a GPU, one for all three, to save launches). Each branch has its own neurons (the
authors' code shared one membrane across the three branches: a bug). Readout: per-step class score = spikes
summed over the class's n output neurons; prediction = argmax of the scores summed over T.

Input: the model's input domain (e⁺, or signed s = 2e⁺ − 1 sent as spikes of ±1) in its input code; with a
held-current code (ttfs) the conv layer integrates the held current for T steps, then fires its charge as a burst
(`_current`): the first layer's latency is 2T steps.

`class_scores(x, Draw(T, generator, dtype))` is the one inference path: it encodes e⁺ with the model's input code,
runs the network under the requested autocast and returns per-step class scores. Training losses, evaluation,
`classify`, the energy counter, the attack victim and the engine benchmark all call it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from spiketext.core.codes import CODES, DEFAULT_DRAW, Draw, input_code
from spiketext.core.frontend import FrontEnd
from spiketext.core.models.architecture import Architecture
from spiketext.core.models.textcnn import ConvLayers, population_logits
from spiketext.core.neurons import LIF, SURROGATES
from spiketext.core.registry import Registry
from spiketext.core.runtime import autocast
from spiketext.settings.config import SNNConfig


def mean_pool(spikes: torch.Tensor) -> torch.Tensor:
    """Mean over positions [..., n] -> [...], computed as count × fl(1/n): the product a NIR IF node computes for a
    sum-pooled input with r = 1/n, so an exported graph (`spiketext.core.nir`) reproduces it bit for bit."""
    return spikes.sum(-1) * (1.0 / spikes.shape[-1])


class SpikingTextCNN(ConvLayers):
    def __init__(self, arch: Architecture, snn: SNNConfig | None = None) -> None:
        """The layers of `arch` (as `TailoredTextCNN`'s); `snn`: T, the neurons, the input code. Both validated where
        they were built."""
        super().__init__(arch)
        self.snn = check_snn(snn or SNNConfig())
        # One LIF module per layer serves the three branches: neurons are element-wise and stateless between
        # calls, so every branch keeps its own membranes.
        self.conv_neuron = LIF(self.snn)
        self.pool_neuron = LIF(self.snn)
        self.out_neuron = LIF(self.snn)

    @property
    def input_domain(self) -> str:
        return self.arch.input_domain

    @property
    def input_code(self) -> str:
        return self.snn.encoder

    @property
    def held_current(self) -> bool:
        """A code like ttfs: the first layer's synaptic current is held from the spike on (cumulative over steps)."""
        return input_code(self.snn.encoder).held_current

    @property
    def front_end(self) -> FrontEnd:
        """How e⁺ becomes this model's input spikes: its domain, input noise, code and scale."""
        return FrontEnd.of_snn(self.input_domain, self.snn)

    @property
    def stochastic(self) -> bool:
        """Does the input differ from draw to draw (a random code, or input noise)?"""
        return self.front_end.stochastic

    @property
    def spiking_output(self) -> bool:
        """Whether the output layer spikes (readout spikes) or integrates without spiking (membrane)."""
        return READOUTS.get(self.snn.readout, "snn.readout").spiking

    @property
    def num_filters(self) -> int:
        return self.convs[0].out_channels

    @property
    def num_outputs(self) -> int:
        return self.fc.out_features

    def encode(self, x: torch.Tensor, draw: Draw = DEFAULT_DRAW) -> torch.Tensor:
        """e⁺ [B, D, L] -> input spikes [T, B, D, L] (T = `draw.num_steps`, None: the model's own) for α·v
        (α = `input_scale`, v the input domain's value), in the model's code: 0/1, or for the signed domain −1/0/1
        (|v| coded, the sign carried by the spike's channel): the model's `front_end` (`FrontEnd.spikes`), where
        input noise σ dithers every word unit first (one normal draw per unit from the draw's generator)."""
        T = draw.num_steps or self.snn.num_steps
        return self.front_end.spikes(x, Draw(T, draw.generator, draw.dtype or torch.float32, draw.shared_noise))

    def forward(self, spikes: torch.Tensor, record: bool = False, events: dict | None = None):
        """spikes [T, B, D, L] -> output spikes [T, B, n·C]; with `record`, also every layer's spikes:
        {"input": [T, B, D, L], "conv{k}": [T, B, F, L−k+1], "pool": [T, B, len(ks)·F], "output": [T, B, n·C]};
        with `events` (a dict, and `record`), each layer's event-driven update count goes there (`event_updates`).

        With the membrane readout (a labelled option, not the paper's) the output layer does not spike: it returns
        its input currents [T, B, n·C], whose sum over T is the membrane of a non-spiking integrator ("output_current"
        when recording, and no "output" spikes).
        """
        T, B = spikes.shape[:2]
        flat = spikes.flatten(0, 1)  # [T·B, D, L]
        layers = {"input": spikes} if record else {}
        if record and events is not None:  # branch by branch, each branch's currents kept for its event count
            fired = []
            for k, conv in zip(self.kernel_sizes, self.convs, strict=True):
                current = self._current(conv, flat, T, B)
                fired.append(self.conv_neuron(current))
                events[f"conv{k}"] = int(event_updates(current, fired[-1]))
        elif flat.is_cuda:
            # A GPU is launch-bound: one scan over the three branches' currents side by side.
            currents = [self._current(conv, flat, T, B) for conv in self.convs]  # [T, B, F, L−k+1] each
            shapes = [c.shape[2:] for c in currents]
            merged = self.conv_neuron(torch.cat([c.flatten(2) for c in currents], dim=2))
            parts = merged.split([a * b for a, b in shapes], dim=2)
            fired = [s.unflatten(2, sh) for s, sh in zip(parts, shapes, strict=True)]
        else:
            # A CPU is memory-bound: branch by branch (lazily), so only one branch's currents are alive at a time.
            fired = (self.conv_neuron(self._current(conv, flat, T, B)) for conv in self.convs)
        pooled = []
        for k, s in zip(self.kernel_sizes, fired, strict=True):  # s [T, B, F, L−k+1]
            pooled.append(mean_pool(s))
            if record:
                layers[f"conv{k}"] = s
        return self._head(pooled, layers if record else None, events)

    def _head(self, pooled: list[torch.Tensor], layers: dict | None = None, events: dict | None = None):
        """Each branch's mean conv spikes [T, B, F] -> output [T, B, n·C] (and the recorded layers)."""
        pool_current = torch.cat(pooled, dim=-1)
        s_pool = self.pool_neuron(pool_current)  # [T, B, len(ks)·F]
        current = self.fc(s_pool)  # [T, B, n·C]
        out = self.out_neuron(current) if self.spiking_output else current
        if events is not None:
            events["pool"] = int(event_updates(pool_current, s_pool))
            events["fc"] = int(event_updates(current, out if self.spiking_output else None))
        if layers is not None:
            layers["pool"] = s_pool
            layers["output" if self.spiking_output else "output_current"] = out
            return out, layers
        return out

    @torch.no_grad()
    def class_scores_variants(self, x: torch.Tensor, draw: Draw = DEFAULT_DRAW, max_span: int = 1) -> torch.Tensor:
        """Class scores [T, B, C] of sentences that are variants of the batch's first one, on shared noise: what
        `class_scores(x, draw)` computes with `draw.shared_noise` on, faster. x [B, D, L].

        An attack's candidates differ from each other in one word. With shared noise their input spikes differ
        only in that word's column, so their conv neurons differ only within kmax − 1 positions of it: the first
        sentence runs in full, every variant whose changed columns span at most `max_span` words runs its conv
        layer over that window only, and its pooled means are the first sentence's with the window's counts
        swapped in. The other sentences run in full. Equal to the full path up to the rounding of the conv sums
        (a window is summed in another order), which can move a membrane that sits on θ: a test bounds it.
        """
        draw = dataclasses.replace(draw, shared_noise=True)
        T, B, L, dtype = draw.num_steps or self.snn.num_steps, x.shape[0], x.shape[-1], draw.dtype
        diff = (x != x[:1]).any(1)  # [B, L] columns that differ from the first sentence
        cols = torch.arange(L).expand(B, L)
        first = torch.where(diff, cols, L).min(1).values
        last = torch.where(diff, cols, -1).max(1).values
        kmax = max(self.kernel_sizes)
        W = min(L, max_span + 2 * (kmax - 1))  # window width: every conv position the change can reach
        windowed = (last - first < max_span) & (last >= 0)
        windowed[0] = False
        if W >= L or not bool(windowed.any()):
            return self.class_scores(x, draw)
        spikes = self.encode(x, draw)  # [T, B, D, L]
        full = torch.nonzero(~windowed).squeeze(1)  # includes 0, the reference
        win = torch.nonzero(windowed).squeeze(1)
        lo = (first[win] - (kmax - 1)).clamp(0, L - W)  # [Bw]
        idx = lo.unsqueeze(1) + torch.arange(W)  # [Bw, W]
        gathered = spikes[:, win].gather(3, idx.view(1, -1, 1, W).expand(T, -1, spikes.shape[2], W))  # [T, Bw, D, W]
        with autocast(x.device, dtype):
            sub = spikes[:, full].flatten(0, 1)
            fw = gathered.flatten(0, 1)
            pooled_full, pooled_win = [], []
            for k, conv in zip(self.kernel_sizes, self.convs, strict=True):
                s = self.conv_neuron(self._current(conv, sub, T, len(full)))  # [T, Bf, F, L−k+1]
                pooled_full.append(mean_pool(s))
                sw = self.conv_neuron(self._current(conv, fw, T, len(win)))  # [T, Bw, F, W−k+1]
                base = s[:, 0].float()  # [T, F, L−k+1]: the first sentence, first of `full`
                pos = idx[:, : W - k + 1]  # [Bw, W−k+1] the window's conv positions
                base_win = base[:, :, pos].sum(-1).permute(0, 2, 1)  # [T, Bw, F]
                count = base.sum(-1).unsqueeze(1) - base_win + sw.float().sum(-1)  # [T, Bw, F] spike counts
                pooled_win.append((count * (1.0 / (L - k + 1))).to(s.dtype))  # as mean_pool
            out = torch.empty((T, B, self.num_outputs), dtype=pooled_full[0].dtype)
            out[:, full] = self._head(pooled_full).to(out.dtype)
            out[:, win] = self._head(pooled_win).to(out.dtype)
            return self.readout(out)

    def _current(self, conv: nn.Conv1d, flat: torch.Tensor, T: int, B: int) -> torch.Tensor:
        """input spikes [T·B, D, L] -> the conv layer's input current per step [T, B, F, L−k+1].

        For a held-current code (ttfs) the layer works in two phases (as in T2FSNN, Park et al., DAC 2020): for T
        steps each neuron integrates its held synaptic current without firing (a spike at step t feeds its
        synapses for the T − t steps left), then it emits the charge as a burst, one spike per step while the
        membrane is above θ. The burst phase is a neuron fed its whole charge at its first step and nothing after:
        Q = Σ_t (T − t)·conv(S_t) at step 0, zeros after (conv is linear).
        """
        return self.hold(conv(flat).unflatten(0, (T, B)))

    def hold(self, current: torch.Tensor) -> torch.Tensor:
        """The conv layer's per-step synaptic currents [T, ...] -> what its neurons integrate [T, ...]: unchanged, or
        for a held-current code the two phases' currents (the whole charge at step 0, zeros after; `_current`)."""
        if not self.held_current:
            return current
        T = current.shape[0]
        remaining = torch.arange(T, 0, -1, device=current.device, dtype=torch.float32)  # T − t
        charge = (current.float() * remaining.view(-1, *([1] * (current.dim() - 1)))).sum(0)  # [...]
        return torch.cat([charge.unsqueeze(0), charge.new_zeros((T - 1, *charge.shape))]).to(current.dtype)

    def readout(self, out: torch.Tensor) -> torch.Tensor:
        """output spikes (or currents) [T, B, n·C] -> per-step class scores [T, B, C] (population sums)."""
        return population_logits(out, self.num_classes)

    def class_scores(
        self, x: torch.Tensor, draw: Draw = DEFAULT_DRAW, record: bool = False, events: dict | None = None
    ):
        """The inference path: e⁺ x [B, D, L] -> per-step class scores [T, B, C] (sum over T: spike counts).

        Spikes come from the model's input code as `draw` says (T, generator, shared noise); the network runs
        under autocast in `draw.dtype` (None: fp32). With `record`, returns (scores, layers) as `forward` does (and
        fills `events` with each layer's event-driven update count).
        """
        spikes = self.encode(x, draw)
        with autocast(x.device, draw.dtype):
            if record:
                out, layers = self(spikes, record=True, events=events)
                return self.readout(out), layers
            return self.readout(self(spikes))

    def class_counts(self, x: torch.Tensor, draw: Draw = DEFAULT_DRAW) -> torch.Tensor:
        """e⁺ x [B, D, L] -> class spike counts over T [B, C] (float32): what the prediction's argmax reads."""
        return self.class_scores(x, draw).sum(0).float()


def event_updates(current: torch.Tensor, spikes: torch.Tensor | None) -> torch.Tensor:
    """How many (step, neuron) membrane updates an event-driven layer makes: a neuron is updated at a step where
    it receives input, or where it fired at the step before (its reset and its next threshold check); a silent
    neuron with no input keeps its state untouched. current, spikes [T, ...] -> a scalar count (int64)."""
    active = current != 0
    if spikes is not None and spikes.shape[0] > 1:
        active[1:] |= spikes[:-1] != 0
    return active.sum()


def memory_bytes(
    dim: int,
    num_filters: int,
    kernel_sizes: tuple[int, ...],
    length: int,
    batch: int,
    num_steps: int,
    training: bool,
) -> int:
    """A lower bound on the bytes one batch of the SNN needs (input spikes + conv currents and spikes, fp32; kept
    three times over for BPTT): enough to refuse a hopeless T before allocating anything."""
    per_step = dim * length + 2 * sum(num_filters * max(length - k + 1, 1) for k in kernel_sizes)
    return int(batch * num_steps * per_step * 4 * (3 if training else 1))


def parameter_bytes(dim: int, num_filters: int, kernel_sizes: tuple[int, ...], num_outputs: int, training: bool) -> int:
    """The bytes of the model's weights (fp32; training keeps the gradient and AdamW's two moments as well)."""
    n = num_filters * dim * sum(kernel_sizes) + num_outputs * num_filters * len(kernel_sizes)
    return int(n * 4 * (4 if training else 1))


def rate_ce_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy on per-step class scores, averaged over T (snnTorch's ce_rate_loss). scores [T, B, C]."""
    T = scores.shape[0]
    return nn.functional.cross_entropy(scores.flatten(0, 1).float(), labels.repeat(T))


def count_ce_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy on the class scores averaged over T, i.e. on what the prediction uses. scores [T, B, C].

    Not the paper's loss (an option): the per-step loss rewards each step's margin, the prediction sums steps.
    """
    return nn.functional.cross_entropy(scores.float().mean(0), labels)


# The losses fine-tuning can minimize (finetune.loss).
LOSSES: Registry[Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = Registry("SNN loss")
LOSSES.add("rate", rate_ce_loss)
LOSSES.add("count", count_ce_loss)


@dataclass(frozen=True)
class Readout:
    """How the output layer is read (snn.readout): spike counts (spiking) or a non-spiking integrator's membrane."""

    name: str
    spiking: bool


READOUTS: Registry[Readout] = Registry("readout")
READOUTS.add("spikes", Readout("spikes", spiking=True))
READOUTS.add("membrane", Readout("membrane", spiking=False))


def check_snn(snn: SNNConfig) -> SNNConfig:
    """The SNN settings' component names against their registries: one line naming the setting and the closest."""
    CODES.check(snn.encoder, "snn.encoder")
    SURROGATES.check(snn.surrogate, "snn.surrogate")
    READOUTS.check(snn.readout, "snn.readout")
    return snn
