"""The engine against the authors' structure (snnTorch Leaky, Conv2d, per-step loop): same spikes, same loss."""

import pytest
import torch

from spiketext.core.codes import Draw, bernoulli_encode
from spiketext.core.models import SpikingTextCNN
from spiketext.core.models.architecture import Architecture
from spiketext.core.models.spiking import rate_ce_loss
from spiketext.core.models.textcnn import init_linear_weights
from spiketext.core.runtime import generator
from spiketext.settings.config import SNNConfig

pytest.importorskip("snntorch")


@pytest.mark.slow
@pytest.mark.parametrize("beta", [1.0, 0.9])
def test_engine_equals_reference_in_fp32(beta):
    from spiketext.core.bench.reference import ReferenceSNN

    D, C, T, B, L = 12, 2, 20, 6, 11
    neuron = SNNConfig(beta=beta, threshold=0.3)
    ours = SpikingTextCNN(Architecture(D, C, num_filters=16, kernel_sizes=(3, 4, 5), neurons_per_class=10), neuron)
    init_linear_weights(ours, generator(0))
    ref = ReferenceSNN(
        D, C, num_filters=16, kernel_sizes=(3, 4, 5), neurons_per_class=10, beta=beta, threshold=0.3
    ).copy_from(ours)
    g = torch.Generator().manual_seed(1)
    spikes = bernoulli_encode(torch.rand(B, D, L, generator=g), Draw(T, g))
    y = torch.tensor([0, 1, 1, 0, 1, 0])

    out_ours, out_ref = ours(spikes), ref(spikes)
    assert out_ours.sum() > 0 and torch.equal(out_ours, out_ref)
    loss_ours = rate_ce_loss(ours.readout(out_ours), y)
    loss_ref = rate_ce_loss(ref.readout(out_ref), y)
    assert loss_ours.item() == loss_ref.item()
    loss_ours.backward()
    loss_ref.backward()
    torch.testing.assert_close(ours.fc.weight.grad, ref.fc.weight.grad, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(
        ours.convs[1].weight.grad, ref.convs[1].weight.grad.squeeze(1).permute(0, 2, 1), atol=1e-5, rtol=1e-4
    )


@pytest.mark.slow
def test_benchmark_runs_and_reports_every_field():
    from spiketext.core.bench.engine import Shape, markdown, run_benchmark

    s = Shape(batch=2, steps=3, length=7, dim=4, filters=2)
    r = run_benchmark("cpu", "fp32", reps=1, warmup=0, shapes={"paper_shape": s}, peak_size=64)
    for name in ("paper_shape",):
        for key in ("train_step_speedup", "inference_speedup", "peak_memory_ratio", "peak_fraction"):
            assert r[name][key] is not None and r[name][key] >= 0
    assert "ratio" in markdown(r)
