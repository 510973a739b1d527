"""NIR export: the graph read back with `nir` and run by nirtorch reproduces spiketext's spikes exactly for
reset-to-zero IF models; the rest is refused, or exported lossily with its cost measured."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import TINY
from spiketext.core.models.spiking import SpikingTextCNN, mean_pool
from spiketext.errors import SpiketextError
from spiketext.settings.config import SNNConfig

nir = pytest.importorskip("nir", reason="the nir extra is not installed (pip install 'spiketext[nir]')")
pytest.importorskip("nirtorch", reason="the nir extra is not installed (pip install 'spiketext[nir]')")

from spiketext.core.codes import Draw  # noqa: E402
from spiketext.core.models.architecture import Architecture  # noqa: E402
from spiketext.core.nir import graph_metadata, lossy_changes, nir_module, run_nir, to_nir  # noqa: E402


def _model(seed: int = 0, **kw) -> SpikingTextCNN:
    torch.manual_seed(seed)
    snn = kw.pop("snn", SNNConfig(reset="zero", threshold=0.5))
    m = SpikingTextCNN(Architecture(12, 3, num_filters=6, kernel_sizes=(2, 3), neurons_per_class=4, **kw), snn)
    with torch.no_grad():  # larger weights than the default init: every layer fires
        for p in m.parameters():
            p.mul_(3)
    return m


def _round_trip(m: SpikingTextCNN, path, L=9, B=5, T=12, seed=1, lossy=False):
    nir.write(str(path), to_nir(m, L, lossy=lossy, metadata={"labels": ["a", "b", "c"]}))
    x = torch.rand(B, 12, L, generator=torch.Generator().manual_seed(seed))  # e⁺ [B, D, L]
    spikes = m.encode(x, Draw(T, torch.Generator().manual_seed(seed)))  # [T, B, D, L]
    with torch.no_grad():
        out, layers = m(spikes, record=True)
    theirs, nir_layers = run_nir(nir_module(str(path)), spikes, record=True)
    return out, layers, theirs, nir_layers


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"snn": SNNConfig(reset="zero", threshold=0.5, encoder="regular")},
        {"input_domain": "signed"},
        {"snn": SNNConfig(reset="zero", threshold=0.5, readout="membrane")},
    ],
    ids=["bernoulli", "regular", "signed", "membrane-readout"],
)
def test_a_reset_to_zero_snn_round_trips_exactly(tmp_path, kw):
    m = _model(**kw)
    assert lossy_changes(m) == []
    out, layers, theirs, nir_layers = _round_trip(m, tmp_path / "m.nir")
    for k in m.kernel_sizes:
        assert torch.equal(layers[f"conv{k}"], nir_layers[f"conv{k}_if"]), k
        assert layers[f"conv{k}"].sum() > 0  # the comparison is not of silent layers
    assert torch.equal(layers["pool"], nir_layers["pool_if"])
    assert torch.equal(out, theirs)
    assert out.abs().sum() > 0
    if m.snn.readout == "membrane":
        assert "out_if" not in nir_layers  # the output layer does not spike: fc feeds the output
    else:
        assert torch.equal(layers["output"], nir_layers["out_if"])


def test_the_graph_has_nirs_node_types_and_keeps_its_metadata(tmp_path):
    m = _model()
    path = tmp_path / "m.nir"
    nir.write(str(path), to_nir(m, 9, metadata={"labels": ["a", "b", "c"], "num_steps": 12}))
    g = nir.read(str(path))
    kinds = {name: type(node).__name__ for name, node in g.nodes.items()}
    assert kinds["input"] == "Input" and kinds["output"] == "Output"
    assert kinds["conv2"] == "Conv1d" and kinds["conv2_if"] == "IF" and kinds["fc"] == "Linear"
    assert ("pool_if", "fc") in g.edges and ("conv3_place", "pool_if") in g.edges
    assert graph_metadata(g) == {"labels": ["a", "b", "c"], "num_steps": 12}
    # the mean over L − k + 1 positions is folded into the placement's weights; every IF node has r = 1
    assert g.nodes["conv2_place"].weight.max() == np.float32(1 / 8) and g.nodes[
        "conv3_place"
    ].weight.max() == np.float32(1 / 7)
    assert all((node.r == 1).all() for node in g.nodes.values() if type(node).__name__ == "IF")
    assert (g.nodes["conv2_if"].v_reset == 0).all() and (g.nodes["conv2_if"].v_threshold == 0.5).all()


def test_mean_pool_is_the_mean_as_count_times_one_over_n():
    x = (torch.rand(64, 37, generator=torch.Generator().manual_seed(0)) < 0.4).float()
    assert torch.equal(mean_pool(x), x.sum(-1) * torch.tensor(1 / 37, dtype=torch.float32))
    assert torch.allclose(mean_pool(x), x.mean(-1), rtol=1e-6, atol=0)


def test_subtract_reset_is_refused_without_lossy_and_exported_as_reset_to_zero_with_it(tmp_path):
    m = _model(snn=SNNConfig(reset="subtract", threshold=0.5))
    with pytest.raises(SpiketextError, match="--lossy"):
        to_nir(m, 9)
    out, _, theirs, _ = _round_trip(m, tmp_path / "lossy.nir", lossy=True)
    assert not torch.equal(out, theirs)  # the subtract model is not what NIR runs...
    zero = _model(snn=SNNConfig(reset="zero", threshold=0.5))
    zero.load_state_dict(m.state_dict())
    out_zero, _, _, _ = _round_trip(zero, tmp_path / "zero.nir")
    assert torch.equal(out_zero, theirs)  # ...its reset-to-zero twin is, exactly


def test_a_raised_initial_membrane_is_lossy_and_decay_or_held_currents_are_refused():
    assert lossy_changes(_model(snn=SNNConfig(reset="zero", init_membrane=0.5)))
    with pytest.raises(SpiketextError, match="initial membrane"):
        to_nir(_model(snn=SNNConfig(reset="zero", init_membrane=0.5)), 9)
    with pytest.raises(SpiketextError, match="β = 0.9"):
        to_nir(_model(snn=SNNConfig(reset="zero", beta=0.9)), 9, lossy=True)
    with pytest.raises(SpiketextError, match="ttfs"):
        to_nir(_model(snn=SNNConfig(encoder="ttfs")), 9, lossy=True)
    with pytest.raises(SpiketextError, match="shorter than the widest kernel"):
        to_nir(_model(), 2)


@pytest.mark.slow
def test_export_nir_cli_on_a_reset_to_zero_run_and_a_subtract_run(tmp_path, tiny_task, finished_run, capsys):
    from spiketext.cli import main

    data, vectors = tiny_task
    run = tmp_path / "zero"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(run), *TINY]
    assert main([*argv, "--set", "cnn.epochs=2", "--set", "finetune.epochs=1", "--set", "snn.reset=zero"]) == 0
    capsys.readouterr()
    report = tmp_path / "zero.json"
    assert main(["export-nir", str(run), str(tmp_path / "zero.nir"), "--json", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "exact" in printed and "round trip" in printed
    r = json.loads(report.read_text())
    assert r["exact"] and r["check"]["equal"] and r["check"]["acc_change"] == 0
    assert r["check"]["sentences"] == 20 and r["metadata_round_trip"]
    assert r["check"]["spikes_compared"] > 0 and set(r["check"]["spike_mismatches"]) >= {"pool", "output"}
    meta = graph_metadata(nir.read(str(tmp_path / "zero.nir")))
    assert meta["num_steps"] == 8 and meta["labels"] == ["neg", "pos"] and meta["exact"]

    sub = finished_run[0]  # trained with the default reset by subtraction
    assert main(["export-nir", str(sub), str(tmp_path / "sub.nir")]) == 2
    assert "--lossy" in capsys.readouterr().err
    assert not (tmp_path / "sub.nir").exists()
    assert main(["export-nir", str(sub), str(tmp_path / "sub.nir"), "--lossy", "--json", str(report)]) == 0
    r = json.loads(report.read_text())
    assert not r["exact"] and "reset to 0" in r["changes"][0]
    assert "acc_change" in r["check"] and r["check"]["acc_nir"] == pytest.approx(
        r["check"]["acc_spiketext"] + r["check"]["acc_change"]
    )
    assert main(["export-nir", str(sub), str(tmp_path / "x.nir"), "--lossy", "--check", "-1"]) == 2


def test_spikingjelly_runs_the_graph_exactly_when_written_for_its_threshold_rule():
    """A second simulator: SpikingJelly's importer reads the graph (plain IF nodes, r = 1). Its IF fires at v = θ,
    NIR's (and spiketext's) only above: the plain graph differs exactly where a membrane lands on θ, and the graph
    written for it (thresholds one float above θ) reproduces every spike."""
    pytest.importorskip("spikingjelly.activation_based.nir_exchange.from_nir")
    from spiketext.core.codes import Draw
    from spiketext.core.models.registry import Architecture, build_model
    from spiketext.core.models.textcnn import init_linear_weights
    from spiketext.core.nir import SIMULATORS, compare_layers, to_nir
    from spiketext.core.runtime import generator
    from spiketext.settings.config import SNNConfig

    arch = Architecture(dim=6, num_classes=2, num_filters=5, kernel_sizes=(2, 3), neurons_per_class=3)
    m = build_model("snn", arch, SNNConfig(12, reset="zero", threshold=0.5))
    init_linear_weights(m, generator(0))
    with torch.no_grad():
        for conv in m.convs:
            conv.weight.mul_(3)
    spikes = m.encode(torch.rand(4, 6, 9, generator=generator(1)), Draw(12, generator(2)))
    ours, layers = m(spikes, record=True)
    sj = SIMULATORS.get("spikingjelly", "--simulator")
    out, theirs = sj.run(sj.load(to_nir(m, 9, fires_at=True)), spikes, record=True)
    assert compare_layers(layers, theirs, m.kernel_sizes) == {"conv2": 0, "conv3": 0, "pool": 0}
    assert torch.equal(out, ours.float())
    _, plain = sj.run(sj.load(to_nir(m, 9)), spikes, record=True)
    differ = compare_layers(layers, plain, m.kernel_sizes)
    assert differ["conv2"] == differ["conv3"] == 0 and differ["pool"] > 0  # pool: count · 1/8 = 0.5 = θ exactly


@pytest.mark.slow
def test_the_released_nir_model_exports_exactly_and_its_card_says_so(tmp_path, shared_data, monkeypatch):
    from spiketext.cli import main
    from spiketext.runs.released import RELEASED_DIR, index

    monkeypatch.setenv("SPIKETEXT_DATA_DIR", str(shared_data))
    assert index()["sst2_nir"]["nir"] == "exact" and index()["sst2"]["nir"].startswith("not exact: input code ttfs")
    report = tmp_path / "r.json"
    argv = ["export-nir", "sst2_nir", str(tmp_path / "s.nir"), "--check", "10", "--json", str(report)]
    assert main(argv) == 0
    r = json.loads(report.read_text())
    assert r["exact"] and r["check"]["equal"] and r["check"]["sentences"] == 10
    assert "exports exactly" in (RELEASED_DIR / "sst2_nir" / "card.md").read_text()
