"""Seeded generators, the evaluation seed rule, device and precision resolution, memory refusals."""

import contextlib

import pytest
import torch

from spiketext.core.runtime import (
    autocast,
    autocast_dtype,
    check_memory,
    evaluation_seed,
    generator,
    resolve_device,
)
from spiketext.errors import SpiketextError


def test_generators_are_seeded_streams():
    a = torch.rand(5, generator=generator(3, 1, 2))
    assert torch.equal(a, torch.rand(5, generator=generator(3, 1, 2)))
    assert not torch.equal(a, torch.rand(5, generator=generator(3, 1, 3)))


def test_evaluation_seed_is_one_rule():
    assert evaluation_seed("dev", 0) == 10_000 and evaluation_seed("test", 2) == 20_200
    with pytest.raises(SpiketextError, match="split 'val'"):
        evaluation_seed("val", 0)


def test_devices():
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(SpiketextError, match=r"setting device: 'bogus' is not a device"):
        resolve_device("bogus")
    if not torch.cuda.is_available():
        with pytest.raises(SpiketextError, match="sees no CUDA GPU; use --device cpu"):
            resolve_device("cuda")


def test_precision_and_autocast():
    assert autocast_dtype("fp32", torch.device("cpu")) is None
    assert autocast_dtype("bf16", torch.device("cpu")) == torch.bfloat16
    assert isinstance(autocast("cpu", None), contextlib.nullcontext)
    with pytest.raises(SpiketextError, match="precision"):
        autocast_dtype("fp8", torch.device("cpu"))


def test_impossible_memory_is_refused_with_the_estimate():
    with pytest.raises(SpiketextError, match=r"T = 1e8 needs about 61.0 TB of memory.*; lower snn.num_steps"):
        check_memory(61 * 10**12, torch.device("cpu"), "T = 1e8", "lower snn.num_steps")
    check_memory(1000, torch.device("cpu"), "tiny", "nothing")
