"""The spiking TextCNN as a NIR graph (Neuromorphic Intermediate Representation), and NIR graphs run back in torch.

NIR (`nir` on PyPI) is the exchange format snnTorch, Norse, SpikingJelly, sinabs, Lava and SpiNNaker2 read. One
time step of the exported graph (NIR shapes leave out the batch):

    input [D, L]                                   the encoder's spikes (0/1; ±1 for the signed input domain)
    convK        Conv1d D -> F, kernel K           for each K of the kernel sizes
    convK_if     IF [F, L−K+1]                     r = 1, θ, reset to 0
    convK_sum    Conv1d F -> F, kernel L−K+1       [F, 1]: each filter's spike count (weight 1 on its own channel)
    convK_flat   Flatten [F, 1] -> [F]
    convK_place  Linear [len(ks)·F, F]             fl(1/(L−K+1)) on the branch's slice of the concatenation: the mean
    pool_if      IF [len(ks)·F]                    r = 1, θ, reset to 0
    fc           Linear [n·C, len(ks)·F]
    out_if       IF [n·C]                          (absent with the membrane readout: fc feeds the output)
    output       [n·C]                             class c's score is the sum of outputs [n·c, n·c + n) over T

NIR has no 1-D pooling node and no concatenation (edges into a node add up), hence the count-by-convolution and
the placement matrices (NIR's type inference reads a Conv1d's input channels off its weight, so the count is a
full F -> F convolution, F²·(L−K+1) weights, not a grouped one). Every sum they add is of integers or of one
non-zero term, so it is exact in any order, and the placement's `count·fl(1/n)` is the product `mean_pool`
computes: an executor that follows NIR's IF equations in fp32 reproduces spiketext's spikes bit for bit. Every IF
node has r = 1, so an importer that takes only plain IF neurons (SpikingJelly's, with dt = 1) reads the graph.

What NIR's IF cannot express: reset by subtraction (NIR's IF resets to a fixed potential), a membrane that starts
above 0 (QCFS's v₀ = ½θ), decay β < 1 (that is NIR's LIF, whose discretisation the format leaves to the executor),
and a held input current (ttfs). The first two export only with `lossy=True`, as reset-to-zero IF neurons started
at 0, and the export measures what that costs in accuracy; the others are refused. Train with `snn.reset=zero`
to make a model that exports exactly.

Execution: `nir_module` builds a torch module from a graph with nirtorch's interpreter. nirtorch maps Linear,
Input and Output; the node maps here add NIR's IF equations (forward Euler, dt = 1: v ← v + r·I; z = v > θ;
v ← v_reset where z), Flatten with NIR's batch-free dimensions, and Conv1d built from its weight's shape and groups
(nirtorch 2.6's own map passes the channel counts swapped, harmless only for groups = 1).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from spiketext.core.models.spiking import SpikingTextCNN
from spiketext.core.registry import Registry
from spiketext.errors import SpiketextError

NEEDS_NIR = "NIR export needs the nir and nirtorch packages: pip install 'spiketext[nir]'"


def _nir():
    try:
        import nir
        import nirtorch  # noqa: F401 - the check runs the graph with it
    except ImportError as e:
        raise SpiketextError(f"{NEEDS_NIR} (missing: {e.name})") from e
    return nir


def lossy_changes(model: SpikingTextCNN) -> list[str]:
    """What an export as NIR IF neurons changes in `model` (empty: the export is exact)."""
    p = model.snn
    changes = []
    if p.reset != "zero":
        changes.append(f"reset by {p.reset} becomes reset to 0 (NIR's IF resets to a fixed potential)")
    if p.init_membrane:
        changes.append(f"the membrane starts at 0, not at {p.init_membrane}·θ (NIR has no initial membrane)")
    return changes


def refusals(model: SpikingTextCNN) -> list[str]:
    """What no NIR IF graph can express, even lossily."""
    out = []
    if model.snn.beta != 1.0:
        out.append(
            f"β = {model.snn.beta}: NIR export covers IF neurons (β = 1); NIR's LIF leaves its discretisation to "
            "the executor, so it would not be the same network"
        )
    if model.held_current:
        out.append(
            f"input code {model.input_code}: its first layer holds the input current and bursts (two phases of T "
            "steps), which no NIR node expresses; use the bernoulli or regular code"
        )
    return out


def _check_exportable(model: SpikingTextCNN, length: int, lossy: bool) -> None:
    """Refuse what NIR cannot express (and what it expresses only lossily unless `lossy`), in one line."""
    problems = refusals(model)
    changes = lossy_changes(model)
    if changes and not lossy:
        problems += [c + "; export it with lossy=True (--lossy) to measure the cost" for c in changes]
    if problems:
        raise SpiketextError("NIR export: " + "; ".join(problems))
    if length < max(model.kernel_sizes):
        raise SpiketextError(f"NIR export: L = {length} is shorter than the widest kernel ({max(model.kernel_sizes)})")


def _f32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def _branch(nir, name: str, conv: nn.Module, length: int, k: int, i: int, n_pool: int, neurons) -> dict[str, Any]:
    """One kernel size's nodes: its Conv1d, its IF neurons, the count of each filter's spikes, and the placement of
    the branch's means in the concatenation."""
    F, n = conv.out_channels, length - k + 1
    place = np.zeros((n_pool, F), dtype=np.float32)
    # the average pooling folded into the placement: count × fl(1/n), mean_pool's product (one non-zero term per
    # output, so exact), and every IF node keeps r = 1, which every importer reads as a plain IF
    place[i * F : (i + 1) * F] = np.eye(F, dtype=np.float32) * np.float32(1.0 / n)
    count = np.zeros((F, F, n), dtype=np.float32)
    count[np.arange(F), np.arange(F)] = 1.0  # filter f sums its own channel's spikes over the n positions
    zeros = np.zeros(F, dtype=np.float32)
    return {
        name: nir.Conv1d(
            input_shape=length,
            weight=_f32(conv.weight.detach().cpu()),
            stride=1,
            padding=0,
            dilation=1,
            groups=1,
            bias=zeros,
        ),  # fmt: skip
        f"{name}_if": neurons((F, n)),
        f"{name}_sum": nir.Conv1d(input_shape=n, weight=count, stride=1, padding=0, dilation=1, groups=1, bias=zeros),
        f"{name}_flat": nir.Flatten(input_type=np.array([F, 1]), start_dim=0, end_dim=-1),
        f"{name}_place": nir.Linear(weight=place),
    }


def to_nir(
    model: SpikingTextCNN, length: int, lossy: bool = False, metadata: dict | None = None, fires_at: bool = False
):
    """The SNN as a `nir.NIRGraph` for inputs of L = `length` positions (see the module docstring). `fires_at`: for
    an importer whose IF fires at v = θ (SpikingJelly's, v ≥ θ) every threshold is written one float above θ, so it
    fires exactly where NIR's v > θ does (membranes are float32 sums: none lies strictly between the two).

    Refuses (SpiketextError) what NIR cannot express; reset by subtraction or a raised initial membrane only with
    `lossy`. `metadata` goes into the graph as JSON text under "spiketext".
    """
    nir = _nir()
    _check_exportable(model, length, lossy)
    ks = model.kernel_sizes
    n_pool, theta = len(ks) * model.num_filters, np.float32(model.snn.threshold)
    if fires_at:
        theta = np.nextafter(theta, np.float32(np.inf))

    def neurons(shape: tuple[int, ...]):
        return nir.IF(r=_f32(np.ones(shape)), v_threshold=_f32(np.full(shape, theta)), v_reset=_f32(np.zeros(shape)))

    nodes: dict[str, Any] = {"input": nir.Input(input_type=np.array([model.convs[0].in_channels, length]))}
    edges: list[tuple[str, str]] = []
    for i, (k, conv) in enumerate(zip(ks, model.convs, strict=True)):
        name = f"conv{k}"
        nodes.update(_branch(nir, name, conv, length, k, i, n_pool, neurons))
        chain = ["input", name, f"{name}_if", f"{name}_sum", f"{name}_flat", f"{name}_place", "pool_if"]
        edges += list(zip(chain, chain[1:], strict=False))
    nodes["pool_if"] = neurons((n_pool,))
    nodes["fc"] = nir.Linear(weight=_f32(model.fc.weight.detach().cpu()))
    edges.append(("pool_if", "fc"))
    nodes["output"] = nir.Output(output_type=np.array([model.num_outputs]))
    if not model.spiking_output:
        edges.append(("fc", "output"))
    else:
        nodes["out_if"] = neurons((model.num_outputs,))
        edges += [("fc", "out_if"), ("out_if", "output")]
    meta = {"spiketext": json.dumps(metadata or {}, sort_keys=True)}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


def graph_metadata(graph) -> dict:
    """The "spiketext" metadata of a graph written by `to_nir` ({} if absent)."""
    raw = (graph.metadata or {}).get("spiketext")
    if raw is None:
        return {}
    return json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))


class IFNode(nn.Module):
    """NIR's IF neuron, forward Euler with dt = 1: v ← v + r·I; z = H(v − θ) (H(0) = 0); v ← v_reset where z.

    Stateful in nirtorch's convention: forward(I [B, ...], state) -> (z, state), state = v after the reset.
    """

    def __init__(self, r: np.ndarray, v_threshold: np.ndarray, v_reset: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("r", torch.as_tensor(np.asarray(r, dtype=np.float32)))
        self.register_buffer("v_threshold", torch.as_tensor(np.asarray(v_threshold, dtype=np.float32)))
        self.register_buffer("v_reset", torch.as_tensor(np.asarray(v_reset, dtype=np.float32)))

    def forward(self, x: torch.Tensor, state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        v = torch.zeros_like(x) if state is None else state
        v = v + self.r * x
        z = v > self.v_threshold
        return z.to(x.dtype), torch.where(z, self.v_reset.to(v.dtype), v)


class _Flatten(nn.Module):
    """NIR's Flatten: its dimensions leave out the batch (the module keeps dimension 0)."""

    def __init__(self, start_dim: int, end_dim: int) -> None:
        super().__init__()
        self.start_dim = start_dim + 1 if start_dim >= 0 else start_dim
        self.end_dim = end_dim + 1 if end_dim >= 0 else end_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(self.start_dim, self.end_dim)


def _conv1d(node) -> nn.Conv1d:
    out_ch, in_per_group, k = node.weight.shape
    conv = nn.Conv1d(
        in_per_group * node.groups, out_ch, k, node.stride, node.padding, node.dilation, node.groups, bias=True
    )
    conv.weight.data = torch.from_numpy(np.asarray(node.weight, dtype=np.float32))
    conv.bias.data = torch.from_numpy(np.asarray(node.bias, dtype=np.float32))
    return conv


def nir_module(graph_or_path) -> nn.Module:
    """A NIR graph (or a .nir file) as a torch module, run by nirtorch's interpreter: module(x_t, state) ->
    (out_t, state), one time step per call (see the module docstring for the node maps)."""
    nir = _nir()
    try:
        import nirtorch
    except ImportError as e:
        raise SpiketextError(NEEDS_NIR) from e
    graph = nir.read(str(graph_or_path)) if isinstance(graph_or_path, str | Path) else graph_or_path
    node_map = {
        nir.IF: lambda n: IFNode(n.r, n.v_threshold, n.v_reset),
        nir.Flatten: lambda n: _Flatten(int(n.start_dim), int(n.end_dim)),
        nir.Conv1d: _conv1d,
    }
    return nirtorch.nir_to_torch(graph, node_map)


@torch.no_grad()
def run_nir(module: nn.Module, spikes: torch.Tensor, record: bool = False):
    """Input spikes [T, B, D, L] through a `nir_module`, step by step -> output [T, B, n·C]; with `record`, also
    every IF node's spikes {node name: [T, B, ...]}."""
    return _run_stepwise(module, spikes, record, (IFNode,))


def compare_layers(ours: dict[str, torch.Tensor], theirs: dict[str, torch.Tensor], kernel_sizes) -> dict[str, int]:
    """Spikes that differ per hidden layer between spiketext's recorded layers and `run_nir`'s ({layer: count}; the
    output is compared by the caller, spikes or currents)."""
    pairs = {f"conv{k}": f"conv{k}_if" for k in kernel_sizes} | {"pool": "pool_if"}
    return {
        ours_name: int((ours[ours_name].float() != theirs[nir_name].float()).sum())
        for ours_name, nir_name in pairs.items()
        if ours_name in ours and nir_name in theirs
    }


# --- simulators that read the graph back ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Simulator:
    """A simulator that runs an exported graph: `load(graph) -> module`, `run(module, spikes [T, B, D, L], record)`
    -> output [T, B, n·C] (with `record`, also {IF node name: its spikes [T, B, ...]})."""

    name: str
    load: Callable[[Any], Any]
    run: Callable[..., Any]
    what: str
    fires_at: bool = False  # its IF fires at v = θ (v ≥ θ), not only above it: export with `to_nir(fires_at=True)`


def _spikingjelly_module(graph) -> nn.Module:
    try:
        from spikingjelly.activation_based.nir_exchange.from_nir import import_from_nir
    except ImportError as e:
        raise SpiketextError(
            "--simulator spikingjelly needs SpikingJelly: pip install --no-deps spikingjelly==2.0.0 'loguru>=0.7,<1' "
            "(its NIR importer needs neither torchvision nor torchaudio)"
        ) from e
    import logging

    logging.getLogger("spikingjelly").setLevel(logging.WARNING)
    return import_from_nir(graph, dt=1.0, step_mode="s")  # NIR's IF at dt = 1: v ← v + I (every r here is 1)


@torch.no_grad()
def _run_stepwise(
    module: nn.Module,
    spikes: torch.Tensor,
    record: bool = False,
    kinds: tuple[type, ...] = (),
    key: Callable[[str], str] = str,
):
    """Input spikes [T, B, D, L] through a stateful module, step by step (state passed back); with `record`, the
    spikes of every submodule of `kinds`, keyed by `key(its module path)`."""
    seen: dict[str, list[torch.Tensor]] = {}
    hooks = []
    if record:
        for name, sub in module.named_modules():
            if isinstance(sub, kinds):
                seen[name] = []
                hooks.append(sub.register_forward_hook(lambda m, i, o, name=name: seen[name].append(o[0])))
    try:
        state, outs = None, []
        for t in range(spikes.shape[0]):
            out, state = module(spikes[t].float(), state)
            outs.append(out)
    finally:
        for h in hooks:
            h.remove()
    out = torch.stack(outs)
    return (out, {key(k): torch.stack(v) for k, v in seen.items()}) if record else out


def _run_spikingjelly(module: nn.Module, spikes: torch.Tensor, record: bool = False):
    from spikingjelly.activation_based.nir_exchange.from_nir import _NIRStatefulModule

    return _run_stepwise(module, spikes, record, (_NIRStatefulModule,), lambda path: path.split(".")[0])


SIMULATORS: Registry[Simulator] = Registry("NIR simulator")
SIMULATORS.add("nirtorch", Simulator("nirtorch", nir_module, run_nir,
                                     "nirtorch's interpreter with NIR's IF equations (z = v > θ)"))  # fmt: skip
SIMULATORS.add("spikingjelly", Simulator("spikingjelly", _spikingjelly_module, _run_spikingjelly,
                                         "SpikingJelly 2.0's NIR importer (IFNode, dt = 1; fires at v ≥ θ)",
                                         fires_at=True))  # fmt: skip
