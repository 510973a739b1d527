"""Seeds as one model: the forward passes of M members (one per seed) of the same architecture, stacked.

Each member stays its own module with its own parameters, optimizer and random streams; only the arithmetic is
shared. Every forward stacks the members' weights on a leading member dimension (`torch.stack` is differentiable,
so each member's gradient flows back to its own parameters) and runs

    conv:   x [M, N, D, L] -> one grouped Conv1d (groups = M) over [N, M·D, L] -> [M, N, F, L−k+1]
    linear: h [..., M, B, I] · W [M, O, I] -> [..., M, B, O]   (one batched matrix product)

so that M small problems fill one kernel each: on a GPU, where one paper-preset batch (32 short sentences) is far
too little work, this is the lever; on a CPU it is not (the work is the same, `benchmarks/reproduce/stacked_seeds.py`).
Everything element-wise (the input codes, the neurons, pooling, QCFS, dropout) runs per member or over the stacked
tensor unchanged. Random draws come from each member's own generator, in the order its single-seed run draws them,
so a member computes what its single-seed run computes up to the summation order of the grouped convolution and
the batched product.
"""

from __future__ import annotations

import torch
from torch import nn

from spiketext.core.codes import Draw
from spiketext.core.models.spiking import SpikingTextCNN, mean_pool
from spiketext.core.models.textcnn import TailoredTextCNN, dropout, population_logits, qcfs, quantize
from spiketext.core.runtime import autocast


def stacked_conv(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """x [M, N, D, L], weight [M, F, D, k] -> [M, N, F, L−k+1]: member m's input through member m's filters."""
    M, N, D, L = x.shape
    F, k = weight.shape[1], weight.shape[3]
    inp = x.transpose(0, 1).reshape(N, M * D, L)
    out = nn.functional.conv1d(inp, weight.reshape(M * F, D, k), groups=M)  # [N, M·F, L−k+1]
    return out.view(N, M, F, -1).transpose(0, 1)


def stacked_linear(h: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """h [..., M, B, I], weight [M, O, I] -> [..., M, B, O] (no bias: the tailored models have none)."""
    return torch.einsum("...mbi,moi->...mbo", h, weight)


def cnn_logits(models: list[TailoredTextCNN], x: torch.Tensor, generators: list) -> torch.Tensor:
    """M tailored CNNs on their own batches: x [M, B, D, L] -> class logits [M, B, C].

    Dropout masks come from each member's generator (None: no dropout in eval mode), as in `TailoredTextCNN.forward`.
    """
    m0, M, B = models[0], x.shape[0], x.shape[1]
    xd = m0.model_input(x.flatten(0, 1)).unflatten(0, (M, B))  # the members share one architecture
    pre = [
        stacked_conv(xd, torch.stack([m.conv_weight(i) for m in models])) for i in range(len(m0.convs))
    ]  # each [M, B, F, L−k+1]
    if m0.activation == "qcfs":
        lam = torch.stack([m._lambda([a[j] for a in pre]) for j, m in enumerate(models)])  # [M]
        acts = [qcfs(a, lam.view(M, 1, 1, 1), m0.levels) for a in pre]
        pooled = torch.cat([a.mean(-1) for a in acts], dim=-1)  # [M, B, len(ks)·F]
        pooled = lam.view(M, 1, 1) * quantize(pooled / lam.view(M, 1, 1), m0.levels)
    else:
        pooled = torch.cat([torch.relu(a).mean(-1) for a in pre], dim=-1)
    masks = zip(models, generators, strict=True)  # each member's dropout from its own generator
    h = torch.stack([dropout(pooled[j], m.arch.dropout, m.training, g) for j, (m, g) in enumerate(masks)])
    out = stacked_linear(h, torch.stack([m.fc.weight for m in models]))  # [M, B, n·C]
    return population_logits(out, m0.num_classes)


def snn_class_scores(
    models: list[SpikingTextCNN], x: torch.Tensor, num_steps: int, generators: list, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """M SNNs on their own batches: e⁺ x [M, B, D, L] -> per-step class scores [T, M, B, C], each member's input
    spikes drawn from its own generator (as `SpikingTextCNN.class_scores`)."""
    m0, T = models[0], num_steps
    spikes = torch.stack(
        [m.encode(xm, Draw(T, g, dtype)) for m, xm, g in zip(models, x, generators, strict=True)]
    )  # [M, T, B, D, L]
    B = spikes.shape[2]
    flat = spikes.flatten(1, 2)  # [M, T·B, D, L]
    with autocast(x.device, dtype):
        pooled = []
        for i in range(len(m0.convs)):  # branch by branch: one branch's currents alive at a time
            current = stacked_conv(flat, torch.stack([m.convs[i].weight for m in models]))  # [M, T·B, F, L−k+1]
            current = m0.hold(current.unflatten(1, (T, B)).transpose(0, 1))  # [T, M, B, F, L−k+1]
            pooled.append(mean_pool(m0.conv_neuron(current)))  # [T, M, B, F]
        s_pool = m0.pool_neuron(torch.cat(pooled, dim=-1))  # [T, M, B, len(ks)·F]
        current = stacked_linear(s_pool, torch.stack([m.fc.weight for m in models]))  # [T, M, B, n·C]
        out = m0.out_neuron(current) if m0.spiking_output else current
        return m0.readout(out)
