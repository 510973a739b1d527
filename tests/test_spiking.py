"""The SNN (spiketext.core.models.spiking): shapes, recorded spikes, its one inference path (and the windowed scoring
of one-word variants), its memory estimate."""

import pytest
import torch

from spiketext.core.codes import Draw, bernoulli_encode
from spiketext.core.models.architecture import Architecture
from spiketext.core.models.convert import convert
from spiketext.core.models.spiking import rate_ce_loss
from spiketext.settings.config import SNNConfig
from tiny_models import tiny_cnn, tiny_snn


def test_snn_shapes_record_and_loss():
    snn = tiny_snn()
    convert(tiny_cnn(), snn)
    spikes = bernoulli_encode(torch.rand(4, 6, 9), Draw(10, torch.Generator().manual_seed(0)))
    out, layers = snn(spikes, record=True)
    assert out.shape == (10, 4, 12)
    assert {k: tuple(v.shape) for k, v in layers.items()} == {
        "input": (10, 4, 6, 9),
        "conv2": (10, 4, 5, 8),
        "conv3": (10, 4, 5, 7),
        "pool": (10, 4, 10),
        "output": (10, 4, 12),
    }
    scores = snn.readout(out)
    y = torch.tensor([0, 1, 2, 0])
    manual = sum(torch.nn.functional.cross_entropy(scores[t], y) for t in range(10)) / 10
    torch.testing.assert_close(rate_ce_loss(scores, y), manual)


def test_branches_keep_their_own_neurons():
    # The three branches are scanned in one call; each must equal a separate IF layer on its own currents.
    from spiketext.core.neurons import lif_scan

    snn = convert(tiny_cnn(), tiny_snn(snn=SNNConfig(threshold=0.3)))
    spikes = bernoulli_encode(torch.rand(3, 6, 9), Draw(12, torch.Generator().manual_seed(0)))
    with torch.no_grad():
        _, layers = snn(spikes, record=True)
        for k, conv in zip((2, 3), snn.convs, strict=True):
            alone = lif_scan(conv(spikes.flatten(0, 1)).unflatten(0, (12, 3)), SNNConfig(threshold=0.3))
            assert torch.equal(layers[f"conv{k}"], alone) and alone.sum() > 0


def test_class_scores_is_encode_forward_readout():
    snn = convert(tiny_cnn(), tiny_snn())
    x = torch.rand(4, 6, 9)
    with torch.no_grad():
        scores = snn.class_scores(x, Draw(7, torch.Generator().manual_seed(2)))
        by_hand = snn.readout(snn(bernoulli_encode(x, Draw(7, torch.Generator().manual_seed(2), torch.float32))))
        counts = snn.class_counts(x, Draw(7, torch.Generator().manual_seed(2)))
    assert scores.shape == (7, 4, 3) and torch.equal(scores, by_hand)
    assert torch.equal(counts, by_hand.sum(0)) and counts.dtype == torch.float32
    scores_r, layers = snn.class_scores(x, Draw(7, torch.Generator().manual_seed(2)), record=True)
    assert torch.equal(scores_r, scores) and set(layers) == {"input", "conv2", "conv3", "pool", "output"}


def test_regular_code_snn_is_deterministic_and_ignores_the_generator():
    snn = convert(tiny_cnn(), tiny_snn(snn=SNNConfig(encoder="regular")))
    x = torch.rand(3, 6, 9)
    with torch.no_grad():
        a = snn.class_counts(x, Draw(8))
        b = snn.class_counts(x, Draw(8, torch.Generator().manual_seed(5)))
    assert torch.equal(a, b)


def test_memory_estimate_grows_with_t():
    from spiketext.core.models.spiking import memory_bytes

    small = memory_bytes(50, 100, (3, 4, 5), 25, 32, 50, training=True)
    assert memory_bytes(50, 100, (3, 4, 5), 25, 32, 100_000_000, training=True) > 1e14 > small > 1e6


@pytest.mark.parametrize("code", ["bernoulli", "ttfs"])
def test_windowed_variant_scoring_equals_the_full_path(code):
    """One-word variants scored over their changed window give the full path's class scores on shared noise."""

    from spiketext.core.models.spiking import SpikingTextCNN
    from spiketext.core.runtime import generator

    torch.manual_seed(0)
    model = SpikingTextCNN(Architecture(dim=6, num_classes=2, num_filters=12), SNNConfig(encoder=code)).eval()
    for conv in model.convs:
        conv.weight.data *= 4  # enough current that every layer spikes
    model.fc.weight.data *= 4
    base = torch.rand(6, 20)
    variants = [base.clone() for _ in range(7)]
    variants[1][:, 0] = torch.rand(6)  # first word
    variants[2][:, 9] = torch.rand(6)  # a middle word
    variants[3][:, 19] = torch.rand(6)  # last word
    variants[4][:, 3] = 0.0  # a word out of the vocabulary
    variants[5][:, 4:12] = torch.rand(6, 8)  # many words: scored in full
    x = torch.stack(variants)  # [B, D, L]; variants[6] == the first sentence
    full = model.class_scores(x, Draw(12, generator(3), shared_noise=True))
    fast = model.class_scores_variants(x, Draw(12, generator(3)))
    assert full.sum() > 0
    torch.testing.assert_close(fast, full)
