"""Seeds as one stacked model: each member computes what its single-seed run computes.

Tolerance: the stacked model sums each member's convolution in one grouped Conv1d and its linear layer in one
batched product, so float32 results differ from a single model's in the last bits (here ≤ 1e-6). A CNN's losses
therefore agree to ~1e-6; an SNN's spikes agree exactly unless a membrane sits within that rounding of θ, in which
case a spike flips and the trajectories part. The end-to-end test compares what a user reads: each member's selected
epochs and accuracies, which must be equal.
"""

from __future__ import annotations

import json

import pytest
import torch

from conftest import TINY
from spiketext.cli import main
from spiketext.core.codes import Draw
from spiketext.core.models import stacked
from spiketext.core.models.architecture import Architecture
from spiketext.core.models.spiking import SpikingTextCNN
from spiketext.core.models.textcnn import TailoredTextCNN, init_linear_weights
from spiketext.core.runtime import generator
from spiketext.runs.train import FitSettings, Member, cnn_logits, cnn_loss, fit_members
from spiketext.settings.config import SNNConfig

M, B, D, L = 3, 4, 8, 12


def _inputs() -> torch.Tensor:
    x = torch.rand((M, B, D, L), generator=torch.Generator().manual_seed(0))
    x[:, :, :, 9:] = 0  # padding
    return x


@pytest.mark.parametrize("activation", ["relu", "qcfs"])
@pytest.mark.parametrize("domain", ["positive", "signed"])
def test_stacked_cnn_equals_its_members(activation, domain):
    levels = 4 if activation == "qcfs" else 0

    def members():
        ms = [
            TailoredTextCNN(Architecture(D, 2, 6, (3, 4), 3, 0.5, True, activation, levels, domain)) for _ in range(M)
        ]
        for i, m in enumerate(ms):
            init_linear_weights(m, generator(i, 1))
        return ms

    x = _inputs()
    got = stacked.cnn_logits(members(), x, [generator(i, 2) for i in range(M)])  # training mode: dropout on
    ref = torch.stack([m(x[i], generator(i, 2)) for i, m in enumerate(members())])
    torch.testing.assert_close(got, ref, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("code", ["bernoulli", "regular", "ttfs"])
@pytest.mark.parametrize("readout", ["spikes", "membrane"])
def test_stacked_snn_equals_its_members(code, readout):
    ms = [SpikingTextCNN(Architecture(D, 2, 6, (3, 4), 3), SNNConfig(encoder=code, readout=readout)) for _ in range(M)]
    for i, m in enumerate(ms):
        init_linear_weights(m, generator(i, 1))
    x = _inputs()
    got = stacked.snn_class_scores(ms, x, 5, [generator(i, 2) for i in range(M)])  # [T, M, B, C]
    ref = torch.stack([m.class_scores(x[i], Draw(5, generator(i, 2))) for i, m in enumerate(ms)], dim=1)
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)


def test_each_member_gets_its_own_gradient():
    ms = [TailoredTextCNN(Architecture(D, 2, 6, (3, 4), 3, 0.0)) for _ in range(2)]
    for i, m in enumerate(ms):
        init_linear_weights(m, generator(i, 1))
    x, y = _inputs()[:2], torch.tensor([[0, 1, 0, 1], [1, 1, 0, 0]])
    losses, _ = cnn_loss()(ms, x, y, [generator(i, 2) for i in range(2)])
    losses.sum().backward()
    for i, m in enumerate(ms):
        alone = TailoredTextCNN(Architecture(D, 2, 6, (3, 4), 3, 0.0))
        alone.load_state_dict(m.state_dict())
        loss, _ = cnn_loss()([alone], x[i : i + 1], y[i : i + 1], [generator(i, 2)])
        loss.sum().backward()
        torch.testing.assert_close(m.fc.weight.grad, alone.fc.weight.grad, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(m.convs[0].weight.grad, alone.convs[0].weight.grad, atol=1e-6, rtol=1e-5)


def _members(tmp_path, task, fail=None):
    ids, labels, table = task
    out = []
    for seed in (0, 1):
        model = TailoredTextCNN(Architecture(table.shape[1], 2, 8, (2, 3), 2, 0.5))
        init_linear_weights(model, generator(seed, 7))

        def dev(m, seed=seed):
            if fail is not None and fail(seed):
                raise KeyboardInterrupt  # a kill before this member's state is saved
            return float((cnn_logits(m, ids, table).argmax(-1).numpy() == labels).mean())

        out.append(Member(model, seed, ids, labels, table, tmp_path / f"seed{seed}", dev))
    return out


@pytest.mark.slow
def test_members_resume_each_from_its_own_epoch(tmp_path):
    """Killed after one member saved epoch 2 but before the other did: each resumes from its own state."""
    from test_train import task

    data = task()
    settings = FitSettings(epochs=4, lr=0.01, weight_decay=0.0, batch_size=16, seed=0, stage="cnn")
    calls = {"n": 0}

    def fail(seed):  # the 4th dev evaluation: seed 1's at epoch 2
        calls["n"] += 1
        return calls["n"] == 4

    with pytest.raises(KeyboardInterrupt):
        fit_members(_members(tmp_path / "killed", data, fail), cnn_loss(), settings)
    resumed = fit_members(_members(tmp_path / "killed", data), cnn_loss(), settings)
    clean = fit_members(_members(tmp_path / "clean", data), cnn_loss(), settings)
    for r, c in zip(resumed, clean, strict=True):
        assert [h["epoch"] for h in r.history] == [1, 2, 3, 4]
        assert r.best_epoch == c.best_epoch and r.best_dev == c.best_dev
        for a, b in zip(r.history, c.history, strict=True):
            assert a["dev_acc"] == b["dev_acc"] and a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)


@pytest.mark.slow
def test_stacked_seeds_equal_single_seed_runs(tmp_path, tiny_task):
    data, vectors = tiny_task
    args = ["run", "--train", str(data), "--embeddings", str(vectors), *TINY, "--set", "cnn.epochs=6"]
    args += ["--set", "finetune.epochs=2"]
    assert main([*args, "--seeds", "2", "--set", "stack_seeds=true", "--out", str(tmp_path / "stacked")]) == 0
    for seed in (0, 1):
        assert main([*args, "--seed", str(seed), "--out", str(tmp_path / f"single{seed}")]) == 0
        got = json.loads((tmp_path / "stacked" / f"seed{seed}" / "results.json").read_text())
        ref = json.loads((tmp_path / f"single{seed}" / "results.json").read_text())
        for key in ("cnn", "snn_converted", "snn_finetuned"):
            assert (got[key]["epoch"], got[key]["dev_acc"]) == (ref[key]["epoch"], ref[key]["dev_acc"]), key
            assert got[key]["test_acc"] == ref[key]["test_acc"], key
        lines, solo = (
            [json.loads(x) for x in (folder / "metrics.jsonl").read_text().splitlines()]
            for folder in (tmp_path / "stacked" / f"seed{seed}", tmp_path / f"single{seed}")
        )
        cnn = [(a["train_loss"], b["train_loss"]) for a, b in zip(lines, solo, strict=True) if a["stage"] == "cnn"]
        assert all(a == pytest.approx(b, rel=1e-5) for a, b in cnn)
