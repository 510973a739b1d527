"""Checkpoints: safetensors + JSON round trip, size and sha256 recorded and verified, optimizer state."""

import json

import pytest
import torch

from spiketext.core.checkpoint import (
    checkpoint_exists,
    load_checkpoint,
    load_optimizer_tensors,
    optimizer_tensors,
    save_checkpoint,
)
from spiketext.errors import SpiketextError


def test_round_trip_records_size_and_digest(tmp_path):
    tensors = {"a": torch.arange(6.0).view(2, 3), "b": torch.ones(1, dtype=torch.int64)}
    save_checkpoint(tmp_path / "c", tensors, {"note": "x"})
    assert checkpoint_exists(tmp_path / "c") and not checkpoint_exists(tmp_path / "d")
    loaded, meta = load_checkpoint(tmp_path / "c.safetensors")
    assert meta["note"] == "x" and meta["weights_bytes"] == (tmp_path / "c.safetensors").stat().st_size
    assert len(meta["weights_sha256"]) == 64
    assert all(torch.equal(loaded[k], v) for k, v in tensors.items())


def test_stale_weights_are_refused(tmp_path):
    save_checkpoint(tmp_path / "c", {"a": torch.zeros(3)}, {})
    meta = (tmp_path / "c.json").read_text()
    save_checkpoint(tmp_path / "c", {"a": torch.ones(3)}, {})
    (tmp_path / "c.json").write_text(meta)  # a JSON from before, next to newer weights of the same size
    with pytest.raises(SpiketextError, match="does not match the sha256"):
        load_checkpoint(tmp_path / "c")
    with pytest.raises(SpiketextError, match="no checkpoint here"):
        load_checkpoint(tmp_path / "nothing")


def test_optimizer_state_round_trip():
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    names = {p: n for n, p in model.named_parameters()}
    flat = optimizer_tensors(opt, names)
    fresh = torch.optim.AdamW(model.parameters(), lr=0.1)
    load_optimizer_tensors(fresh, flat, dict(model.named_parameters()))
    for p in model.parameters():
        assert torch.equal(fresh.state[p]["exp_avg"], opt.state[p]["exp_avg"])
    assert json.dumps(sorted(flat))  # plain names, no pickle
