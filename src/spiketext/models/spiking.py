"""The spiking TextCNN (DESIGN.md §1.3): same layers and parameter names as `TailoredTextCNN`.

Per time step: conv (k = 3, 4, 5) -> LIF -> mean over positions -> LIF -> Linear -> LIF. Each layer runs over
all T steps at once: the convolution sees the [T·B, D, L] batch (T folded into the batch), then one fused LIF
scan per layer walks the time axis (on a CPU, one per convolution branch, to keep one branch's currents in
memory at a time; on a GPU, one for all three, to save launches). Each branch has its own neurons (the
authors' code shared one membrane across the three branches: a bug). Readout: per-step class score = spikes
summed over the class's n output neurons; prediction = argmax of the scores summed over T.
"""

from __future__ import annotations

import torch
from torch import nn

from spiketext.encoding import ENCODERS, bernoulli_encode, regular_encode
from spiketext.models.textcnn import population_logits
from spiketext.neurons import LIF


class SpikingTextCNN(nn.Module):
    def __init__(
        self,
        dim: int,
        num_classes: int,
        num_filters: int = 100,
        kernel_sizes: tuple[int, ...] = (3, 4, 5),
        neurons_per_class: int = 10,
        beta: float = 1.0,
        threshold: float = 1.0,
        reset: str = "subtract",
        surrogate: str = "fast_sigmoid",
        slope: float = 25.0,
        input_scale: float = 1.0,
        encoder: str = "bernoulli",
    ) -> None:
        super().__init__()
        if encoder not in ENCODERS:
            raise ValueError(f"unknown encoder {encoder!r}; choose one of {', '.join(ENCODERS)}")
        self.num_classes = num_classes
        self.input_scale = input_scale
        self.encoder = encoder
        self.kernel_sizes = tuple(kernel_sizes)
        self.convs = nn.ModuleList(nn.Conv1d(dim, num_filters, k, bias=False) for k in kernel_sizes)
        self.fc = nn.Linear(num_filters * len(kernel_sizes), neurons_per_class * num_classes, bias=False)

        def neuron() -> LIF:
            return LIF(beta, threshold, reset, surrogate, slope)

        # One LIF module serves the three branches: neurons are element-wise and stateless between calls, so
        # every branch keeps its own membranes.
        self.conv_neuron = neuron()
        self.pool_neuron = neuron()
        self.out_neuron = neuron()

    def encode(
        self, x: torch.Tensor, num_steps: int, generator: torch.Generator | None, dtype: torch.dtype | None = None
    ) -> torch.Tensor:
        """e⁺ [B, D, L] -> input spikes [T, B, D, L] at rate α·e⁺ (α = `input_scale`): Bernoulli draws from
        `generator`, or the deterministic regular code (`encoder`)."""
        rate = x if self.input_scale == 1.0 else x * self.input_scale
        if self.encoder == "regular":
            return regular_encode(rate, num_steps, dtype or torch.float32)
        return bernoulli_encode(rate, num_steps, generator, dtype or torch.float32)

    def forward(self, spikes: torch.Tensor, record: bool = False):
        """spikes [T, B, D, L] -> output spikes [T, B, n·C]; with `record`, also every layer's spikes:
        {"input": [T, B, D, L], "conv{k}": [T, B, F, L−k+1], "pool": [T, B, len(ks)·F], "output": [T, B, n·C]}.
        """
        T, B = spikes.shape[:2]
        flat = spikes.flatten(0, 1)  # [T·B, D, L]
        layers = {"input": spikes} if record else {}
        if flat.is_cuda:
            # A GPU is launch-bound: one scan over the three branches' currents side by side.
            currents = [conv(flat).unflatten(0, (T, B)) for conv in self.convs]  # [T, B, F, L−k+1] each
            shapes = [c.shape[2:] for c in currents]
            merged = self.conv_neuron(torch.cat([c.flatten(2) for c in currents], dim=2))
            parts = merged.split([a * b for a, b in shapes], dim=2)
            fired = [s.unflatten(2, sh) for s, sh in zip(parts, shapes, strict=True)]
        else:
            # A CPU is memory-bound: branch by branch (lazily), so only one branch's currents are alive at a time.
            fired = (self.conv_neuron(conv(flat).unflatten(0, (T, B))) for conv in self.convs)
        pooled = []
        for k, s in zip(self.kernel_sizes, fired, strict=True):  # s [T, B, F, L−k+1]
            pooled.append(s.mean(-1))
            if record:
                layers[f"conv{k}"] = s
        s_pool = self.pool_neuron(torch.cat(pooled, dim=-1))  # [T, B, len(ks)·F]
        out = self.out_neuron(self.fc(s_pool))  # [T, B, n·C]
        if record:
            layers["pool"], layers["output"] = s_pool, out
            return out, layers
        return out

    def class_scores(self, out: torch.Tensor) -> torch.Tensor:
        """output spikes [T, B, n·C] -> per-step class scores [T, B, C]."""
        return population_logits(out, self.num_classes)


def rate_ce_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy on per-step class scores, averaged over T (snnTorch's ce_rate_loss). scores [T, B, C]."""
    T = scores.shape[0]
    return nn.functional.cross_entropy(scores.flatten(0, 1).float(), labels.repeat(T))


def count_ce_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy on the class scores averaged over T, i.e. on what the prediction uses. scores [T, B, C].

    Not the paper's loss (an option): the per-step loss rewards each step's margin, the prediction sums steps.
    """
    return nn.functional.cross_entropy(scores.float().mean(0), labels)


SNN_LOSSES = {"rate": rate_ce_loss, "count": count_ce_loss}
