"""The authors' SNN structure, re-implemented as the speed and correctness reference.

As in the paper's public code: a Python loop over the T time steps, snnTorch `Leaky` neurons with the
fast-sigmoid surrogate and reset by subtraction, `Conv2d(1, F, (k, D))` over the [L, D] "image" of a sentence,
average pooling, fp32. One deliberate difference: every branch has its own neurons (the authors' code shared one
membrane across the three branches, a bug docs/design.md §1.3 fixes), so that both implementations compute the same
function and can be compared spike for spike.

snnTorch is a test and benchmark dependency only (`pip install -e .[test]`); it is imported on use.
"""

from __future__ import annotations

import torch
from torch import nn

from spiketext.core.codes import Draw, bernoulli_encode
from spiketext.core.models.spiking import SpikingTextCNN


class ReferenceSNN(nn.Module):
    def __init__(
        self,
        dim: int,
        num_classes: int,
        num_filters: int = 100,
        kernel_sizes: tuple[int, ...] = (3, 4, 5),
        neurons_per_class: int = 10,
        beta: float = 1.0,
        threshold: float = 1.0,
        slope: float = 25.0,
    ) -> None:
        import snntorch as snn
        from snntorch import surrogate

        super().__init__()
        self.num_classes = num_classes
        self.convs = nn.ModuleList(nn.Conv2d(1, num_filters, (k, dim), bias=False) for k in kernel_sizes)
        self.fc = nn.Linear(num_filters * len(kernel_sizes), neurons_per_class * num_classes, bias=False)
        grad = surrogate.fast_sigmoid(slope=slope)

        def leaky() -> nn.Module:
            return snn.Leaky(beta=beta, threshold=threshold, spike_grad=grad, reset_mechanism="subtract")

        self.conv_lifs = nn.ModuleList(leaky() for _ in kernel_sizes)
        self.pool_lif = leaky()
        self.out_lif = leaky()

    @torch.no_grad()
    def copy_from(self, model: SpikingTextCNN) -> ReferenceSNN:
        """Take the weights of a spiketext SNN: Conv1d [F, D, k] -> Conv2d [F, 1, k, D]."""
        for conv2d, conv1d in zip(self.convs, model.convs, strict=True):
            conv2d.weight.copy_(conv1d.weight.permute(0, 2, 1).unsqueeze(1))
        self.fc.weight.copy_(model.fc.weight)
        return self

    def forward(self, spikes: torch.Tensor) -> torch.Tensor:
        """spikes [T, B, D, L] -> output spikes [T, B, n·C], one time step at a time."""
        mems = [lif.init_leaky() for lif in self.conv_lifs]
        mem_pool, mem_out = self.pool_lif.init_leaky(), self.out_lif.init_leaky()
        out = []
        for t in range(spikes.shape[0]):
            x = spikes[t].transpose(1, 2).unsqueeze(1)  # [B, 1, L, D]
            pooled = []
            for i, (conv, lif) in enumerate(zip(self.convs, self.conv_lifs, strict=True)):
                s, mems[i] = lif(conv(x).squeeze(3), mems[i])  # [B, F, L−k+1]
                pooled.append(s.mean(-1))
            s_pool, mem_pool = self.pool_lif(torch.cat(pooled, dim=-1), mem_pool)
            s_out, mem_out = self.out_lif(self.fc(s_pool), mem_out)
            out.append(s_out)
        return torch.stack(out)

    def readout(self, out: torch.Tensor) -> torch.Tensor:
        """[T, B, n·C] -> [T, B, C]."""
        return out.unflatten(-1, (self.num_classes, -1)).sum(-1)

    def class_scores(self, x: torch.Tensor, draw: Draw) -> torch.Tensor:
        """e⁺ [B, D, L] -> per-step class scores [T, B, C]: Bernoulli input, fp32 (as the authors ran it; the
        draw's dtype is not used)."""
        return self.readout(self(bernoulli_encode(x, Draw(draw.num_steps, draw.generator, torch.float32))))
