"""Encoder, models, conversion and checkpoints on tiny models."""

import numpy as np
import pytest
import torch

from spiketext.encoding import bernoulli_encode, binomial_rates
from spiketext.inference import build_model, load_bundle, save_bundle
from spiketext.models import SpikingTextCNN, StandardTextCNN, TailoredTextCNN
from spiketext.models.convert import convert, data_based_scales, model_based_scales, normalized_weights
from spiketext.models.spiking import rate_ce_loss
from spiketext.models.textcnn import init_linear_weights, population_logits
from spiketext.train import generator


def test_bernoulli_mean_approaches_input_and_is_seeded():
    x = torch.tensor([[0.0, 0.1, 0.5, 0.9, 1.0]])
    s = bernoulli_encode(x, 20000, torch.Generator().manual_seed(0))
    assert s.shape == (20000, 1, 5) and set(s.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(s.mean(0), x, atol=0.01, rtol=0)
    assert s[:, 0, 0].sum() == 0 and s[:, 0, 4].sum() == 20000  # padding never spikes; 1 always does
    again = bernoulli_encode(x, 20000, torch.Generator().manual_seed(0))
    other = bernoulli_encode(x, 20000, torch.Generator().manual_seed(1))
    assert torch.equal(s, again) and not torch.equal(s, other)
    assert bernoulli_encode(x, 3, torch.Generator().manual_seed(0), torch.bfloat16).dtype == torch.bfloat16
    r = binomial_rates(x.expand(4000, 5), 50, torch.Generator().manual_seed(0))
    torch.testing.assert_close(r.mean(0), x[0], atol=0.01, rtol=0)
    assert torch.allclose(r * 50, (r * 50).round())  # multiples of 1/T


def tiny_cnn(dim=6, classes=3, zero_mean=True, seed=0):
    cnn = TailoredTextCNN(
        dim, classes, num_filters=5, kernel_sizes=(2, 3), neurons_per_class=4, dropout=0.0, zero_mean_filters=zero_mean
    )
    init_linear_weights(cnn, generator(seed))
    return cnn


def tiny_snn(dim=6, classes=3, **kw):
    return SpikingTextCNN(dim, classes, num_filters=5, kernel_sizes=(2, 3), neurons_per_class=4, **kw)


def test_bernoulli_per_step_draw_equals_one_draw_over_t():
    # The CPU encoder draws step by step; it must consume the generator exactly as one [T, ...] draw would.
    x = torch.rand(3, 7, 5)
    one = torch.rand((9, 3, 7, 5), generator=torch.Generator().manual_seed(4)) < x
    assert torch.equal(bernoulli_encode(x, 9, torch.Generator().manual_seed(4), torch.float32), one.float())


def test_regular_code_fires_round_tx_times_evenly():
    from spiketext.encoding import regular_encode

    x = torch.tensor([0.0, 0.25, 0.5, 0.9, 1.0])
    s = regular_encode(x, 4)
    assert s.sum(0).tolist() == [0, 1, 2, 4, 4]
    assert s[:, 2].tolist() == [1, 0, 1, 0]  # rate 0.5: every other step
    y = torch.rand(6, 5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(regular_encode(y, 50).sum(0), torch.floor(50 * y + 0.5))
    model = SpikingTextCNN(dim=6, num_classes=2, num_filters=3, encoder="regular")
    assert torch.equal(model.encode(y.unsqueeze(0).expand(2, 6, 5), 8, None), model.encode(y.expand(2, 6, 5), 8, None))


def test_tailored_cnn_shapes_zero_mean_and_population():
    cnn = tiny_cnn()
    x = torch.rand(7, 6, 9)
    assert cnn(x).shape == (7, 3) and cnn.outputs(x).shape == (7, 12)
    torch.testing.assert_close(cnn(x), cnn.outputs(x).view(7, 3, 4).sum(-1))
    w = cnn.export_weights()
    assert set(w) == {"convs.0.weight", "convs.1.weight", "fc.weight"}
    torch.testing.assert_close(w["convs.1.weight"].mean(dim=(1, 2)), torch.zeros(5), atol=1e-6, rtol=0)
    assert population_logits(torch.arange(6.0), 2).tolist() == [3.0, 12.0]  # class 0 owns outputs 0..2
    assert StandardTextCNN(6, 3, 5, (2, 3))(torch.randn(7, 6, 9)).shape == (7, 3)


def test_snn_shapes_record_and_loss():
    snn = tiny_snn()
    convert(tiny_cnn(), snn)
    spikes = bernoulli_encode(torch.rand(4, 6, 9), 10, torch.Generator().manual_seed(0))
    out, layers = snn(spikes, record=True)
    assert out.shape == (10, 4, 12)
    assert {k: tuple(v.shape) for k, v in layers.items()} == {
        "input": (10, 4, 6, 9),
        "conv2": (10, 4, 5, 8),
        "conv3": (10, 4, 5, 7),
        "pool": (10, 4, 10),
        "output": (10, 4, 12),
    }
    scores = snn.class_scores(out)
    y = torch.tensor([0, 1, 2, 0])
    manual = sum(torch.nn.functional.cross_entropy(scores[t], y) for t in range(10)) / 10
    torch.testing.assert_close(rate_ce_loss(scores, y), manual)


def test_conversion_is_a_copy_and_rates_approach_cnn_as_t_grows():
    torch.manual_seed(0)
    cnn = tiny_cnn()
    x = torch.rand(16, 6, 9)
    lam1, lam3 = data_based_scales(cnn, [x], percentile=100.0)
    snn = convert(cnn, tiny_snn(), normalized_weights(cnn.export_weights(), lam1, lam3))
    target = cnn.features(x).detach() / lam1  # pooled activations, normalised into [0, 1]
    errors = []
    for T in (10, 100, 1000):
        spikes = bernoulli_encode(x, T, torch.Generator().manual_seed(T))
        with torch.no_grad():
            _, layers = snn(spikes, record=True)
        rate = layers["pool"].mean(0)
        errors.append(float((rate - target).abs().mean()))
    assert errors[2] < errors[1] < errors[0] and errors[2] < 0.02
    plain = convert(cnn, tiny_snn())
    for name, w in cnn.export_weights().items():
        assert torch.equal(plain.state_dict()[name], w)


def test_model_based_scales_bound_every_activation():
    cnn = tiny_cnn()
    lam1, lam3 = model_based_scales(cnn.export_weights())
    x = torch.rand(64, 6, 9)
    assert max(float(a.max()) for a in cnn.conv_activations(x)) <= lam1 + 1e-6
    assert float(cnn.fc(cnn.features(x)).max()) <= lam3 + 1e-6


@pytest.mark.parametrize("kind", ["tailored_cnn", "standard_cnn", "snn"])
def test_save_load_gives_identical_outputs(tmp_path, kind):
    arch = {
        "dim": 6,
        "num_classes": 3,
        "num_filters": 5,
        "kernel_sizes": [2, 3],
        "neurons_per_class": 4,
        "dropout": 0.5,
        "zero_mean_filters": True,
    }
    snn_cfg = {
        "num_steps": 8,
        "beta": 0.9,
        "threshold": 0.7,
        "reset": "subtract",
        "surrogate": "arctan",
        "slope": 2.0,
        "encoder": "bernoulli",
    }
    model = build_model(kind, arch, snn_cfg if kind == "snn" else None)
    init_linear_weights(model, generator(3))
    vocab = ["<pad>", "<unk>", "good", "bad"]
    table = torch.rand(4, 6)
    table[0] = 0
    data = {
        "language": "en",
        "max_len": 9,
        "embeddings": "random",
        "input": "positive",
        "transform": {"mean": 0.1, "std": 0.5, "clip": 3.0},
        "vocab": vocab,
        "labels": ["a", "b", "c"],
        "label_descriptions": [None] * 3,
    }
    meta = {"format": "spiketext-model/1", "kind": kind, "arch": arch, "snn": snn_cfg, "data": data}
    save_bundle(tmp_path / "m", model, table, meta)
    bundle = load_bundle(tmp_path / "m.json", tmp_path)
    assert bundle.kind == kind and bundle.labels == ["a", "b", "c"] and bundle.encoder.vocab.itos == vocab
    x = bundle.encoder.encode(["good bad unknown"])
    assert torch.equal(x[0, :, 0], table[2]) and torch.equal(x[0, :, 3], table[0])
    model.eval()
    if kind == "snn":
        assert bundle.model.reset == "subtract" if hasattr(bundle.model, "reset") else True
        s = bernoulli_encode(x, 8, torch.Generator().manual_seed(0))
        assert torch.equal(bundle.model(s), model(s))
        assert bundle.model.out_neuron.beta == 0.9 and bundle.model.out_neuron.surrogate == "arctan"
    else:
        assert torch.equal(bundle.model(x), model(x))
    # the file holds no pickle: safetensors + JSON only
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("m.")) == ["m.json", "m.safetensors"]


def test_dimension_mismatch_on_load(tmp_path):
    from spiketext.errors import SpiketextError

    arch = {
        "dim": 6,
        "num_classes": 2,
        "num_filters": 2,
        "kernel_sizes": [2],
        "neurons_per_class": 1,
        "dropout": 0.0,
        "zero_mean_filters": False,
    }
    model = build_model("tailored_cnn", arch, None)
    data = {
        "language": "en",
        "max_len": 4,
        "embeddings": "random",
        "transform": None,
        "vocab": ["<pad>", "<unk>"],
        "labels": ["a", "b"],
    }
    save_bundle(
        tmp_path / "m",
        model,
        torch.zeros(2, 5),
        {"format": "spiketext-model/1", "kind": "tailored_cnn", "arch": arch, "snn": None, "data": data},
    )
    with pytest.raises(SpiketextError, match=r"expects D = 6.*has D = 5"):
        load_bundle(tmp_path / "m", tmp_path)


def test_seeded_init_is_reproducible():
    a, b = tiny_cnn(seed=4), tiny_cnn(seed=4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(tiny_cnn(seed=5).fc.weight, a.fc.weight)
    assert np.isfinite(a.fc.weight.detach().numpy()).all()


def test_branches_keep_their_own_neurons():
    # The three branches are scanned in one call; each must equal a separate IF layer on its own currents.
    from spiketext.neurons import lif_scan

    snn = convert(tiny_cnn(), tiny_snn(threshold=0.3))
    spikes = bernoulli_encode(torch.rand(3, 6, 9), 12, torch.Generator().manual_seed(0))
    with torch.no_grad():
        _, layers = snn(spikes, record=True)
        for k, conv in zip((2, 3), snn.convs, strict=True):
            alone = lif_scan(conv(spikes.flatten(0, 1)).unflatten(0, (12, 3)), threshold=0.3)
            assert torch.equal(layers[f"conv{k}"], alone) and alone.sum() > 0
