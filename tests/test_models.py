"""Models on tiny shapes: the tailored and standard CNN, the SNN and its inference path, conversion, registry."""

import dataclasses

import numpy as np
import pytest
import torch

from spiketext.config import SNNConfig
from spiketext.encoding import Draw, bernoulli_encode, signed_input
from spiketext.models import SpikingTextCNN, StandardTextCNN, TailoredTextCNN
from spiketext.models.architecture import Architecture
from spiketext.models.convert import convert, data_based_scales, model_based_scales, normalized_weights
from spiketext.models.spiking import rate_ce_loss
from spiketext.models.textcnn import init_linear_weights, population_logits
from spiketext.runtime import generator


def tiny_cnn(dim=6, classes=3, zero_mean=True, seed=0):
    cnn = TailoredTextCNN(
        Architecture(
            dim,
            classes,
            num_filters=5,
            kernel_sizes=(2, 3),
            neurons_per_class=4,
            dropout=0.0,
            zero_mean_filters=zero_mean,
        )
    )
    init_linear_weights(cnn, generator(seed))
    return cnn


def tiny_snn(dim=6, classes=3, snn=None, **kw):
    return SpikingTextCNN(
        Architecture(dim, classes, num_filters=5, kernel_sizes=(2, 3), neurons_per_class=4, **kw), snn
    )


def test_tailored_cnn_shapes_zero_mean_and_population():
    cnn = tiny_cnn()
    x = torch.rand(7, 6, 9)
    assert cnn(x).shape == (7, 3) and cnn.outputs(x).shape == (7, 12)
    torch.testing.assert_close(cnn(x), cnn.outputs(x).view(7, 3, 4).sum(-1))
    w = cnn.export_weights()
    assert set(w) == {"convs.0.weight", "convs.1.weight", "fc.weight"}
    torch.testing.assert_close(w["convs.1.weight"].mean(dim=(1, 2)), torch.zeros(5), atol=1e-6, rtol=0)
    assert population_logits(torch.arange(6.0), 2).tolist() == [3.0, 12.0]  # class 0 owns outputs 0..2
    assert StandardTextCNN(Architecture(6, 3, 5, (2, 3)))(torch.randn(7, 6, 9)).shape == (7, 3)


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
    scores = snn.readout(out)
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
    assert max(float(a.detach().max()) for a in cnn.conv_activations(x)) <= lam1 + 1e-6
    assert float(cnn.fc(cnn.features(x)).detach().max()) <= lam3 + 1e-6


def test_seeded_init_is_reproducible():
    a, b = tiny_cnn(seed=4), tiny_cnn(seed=4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(tiny_cnn(seed=5).fc.weight, a.fc.weight)
    assert np.isfinite(a.fc.weight.detach().numpy()).all()


def test_branches_keep_their_own_neurons():
    # The three branches are scanned in one call; each must equal a separate IF layer on its own currents.
    from spiketext.neurons import lif_scan

    snn = convert(tiny_cnn(), tiny_snn(snn=SNNConfig(threshold=0.3)))
    spikes = bernoulli_encode(torch.rand(3, 6, 9), 12, torch.Generator().manual_seed(0))
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
        by_hand = snn.readout(snn(bernoulli_encode(x, 7, torch.Generator().manual_seed(2), torch.float32)))
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


def test_conversion_weights_normalizations_and_input_scale():
    from spiketext.models.convert import conversion_weights

    cnn = tiny_cnn()
    x = torch.rand(32, 6, 9)
    plain = conversion_weights(cnn, "none", lambda: [x])
    assert all(torch.equal(plain[k], w) for k, w in cnn.export_weights().items())
    lam1, lam3 = data_based_scales(cnn, [x], 99.9)
    p999 = conversion_weights(cnn, "data_p999", lambda: [x], threshold=0.5)
    torch.testing.assert_close(p999["fc.weight"], plain["fc.weight"] * lam1 * 0.5 / lam3)
    halved = conversion_weights(cnn, "model", lambda: [x], input_scale=0.5)
    model = conversion_weights(cnn, "model", lambda: [x])
    torch.testing.assert_close(halved["convs.0.weight"], model["convs.0.weight"] * 2)
    with pytest.raises(ValueError, match="unknown normalization"):
        conversion_weights(cnn, "bogus", lambda: [x])


def test_registry_round_trip_and_validation():
    from spiketext.errors import SpiketextError
    from spiketext.models.registry import Architecture, build_model, snn_from_json

    arch = Architecture(dim=6, num_classes=3, num_filters=5, kernel_sizes=(2, 3), neurons_per_class=4)
    assert Architecture.from_json(arch.to_json(), "x") == arch
    spec = SNNConfig(8, 0.9, 0.7, "zero", "arctan", 2.0, "regular", 0.5)
    assert snn_from_json(dataclasses.asdict(spec), "x") == spec
    snn = build_model("snn", arch, spec)
    assert snn.out_neuron.params is spec is snn.snn and snn.input_code == "regular" and snn.snn.input_scale == 0.5
    with pytest.raises(SpiketextError, match=r"m.json: setting snn.surrogate: 'bogus' is not one of"):
        snn_from_json({**dataclasses.asdict(spec), "surrogate": "bogus"}, "m.json")
    with pytest.raises(SpiketextError, match=r"m.json: setting snn.beta: 1.5 must lie in \(0, 1\]"):
        snn_from_json({**dataclasses.asdict(spec), "beta": 1.5}, "m.json")
    with pytest.raises(SpiketextError, match="dim = -3 is not a positive integer"):
        Architecture.from_json({**arch.to_json(), "dim": -3}, "m.json")
    signed = Architecture(dim=6, num_classes=3, input_domain="signed")
    assert Architecture.from_json(signed.to_json(), "x") == signed
    assert build_model("snn", signed, spec).input_domain == "signed" == build_model("tailored_cnn", signed).input_domain
    old = {k: v for k, v in arch.to_json().items() if k != "input_domain"}  # checkpoints from before the field
    assert Architecture.from_json(old, "x").input_domain == "positive"
    with pytest.raises(SpiketextError, match="activation 'qcfs' with 0 levels"):
        Architecture(dim=6, num_classes=3, activation="qcfs")  # built in code: checked by the value itself
    with pytest.raises(SpiketextError, match=r"m.json: activation 'qcfs' with 0 levels.*checkpoint is damaged"):
        Architecture.from_json({**arch.to_json(), "activation": "qcfs"}, "m.json")
    with pytest.raises(SpiketextError, match="input_domain = 'both' is not positive or signed"):
        Architecture.from_json({**arch.to_json(), "input_domain": "both"}, "m.json")
    noisy = SNNConfig(8, encoder="ttfs", input_noise=0.2)
    assert snn_from_json(dataclasses.asdict(noisy), "x") == noisy and noisy.stochastic and not spec.stochastic
    assert build_model("snn", signed, noisy).stochastic
    no_noise = {k: v for k, v in dataclasses.asdict(noisy).items() if k != "input_noise"}  # older checkpoints
    assert snn_from_json(no_noise, "x").input_noise == 0.0
    with pytest.raises(SpiketextError, match="snn.input_noise: -1.0 must lie in"):
        snn_from_json({**dataclasses.asdict(noisy), "input_noise": -1}, "m.json")
    with pytest.raises(SpiketextError, match="snn.encoder: 'morse' is not one of"):
        SNNConfig(encoder="morse")  # type: ignore[arg-type]  # built in code: validated the same way


def test_memory_estimate_grows_with_t():
    from spiketext.models.spiking import memory_bytes

    small = memory_bytes(50, 100, (3, 4, 5), 25, 32, 50, training=True)
    assert memory_bytes(50, 100, (3, 4, 5), 25, 32, 100_000_000, training=True) > 1e14 > small > 1e6


def test_qcfs_activation_values_and_gradients():
    from spiketext.models.textcnn import qcfs

    a = torch.tensor([-1.0, 0.0, 0.1, 0.26, 0.5, 0.9, 2.0], requires_grad=True)
    lam = torch.tensor(1.0, requires_grad=True)
    h = qcfs(a, lam, 4)  # levels 0, 0.25, 0.5, 0.75, 1 (× λ), rounded half up, clipped
    assert h.tolist() == [0.0, 0.0, 0.0, 0.25, 0.5, 1.0, 1.0]
    h.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]  # straight through inside [0, λ]
    assert lam.grad is not None and float(lam.grad) != 0.0


def test_qcfs_cnn_initialises_lambda_from_the_data_and_exports_it():
    torch.manual_seed(0)
    cnn = TailoredTextCNN(Architecture(6, 3, 5, (2, 3), 4, dropout=0.0, activation="qcfs", levels=4))
    init_linear_weights(cnn, generator(0))
    assert float(cnn.qcfs_lambda.detach()) == 0.0
    x = torch.rand(16, 6, 9)
    cnn.train()
    cnn(x)
    lam = cnn.qcfs_scale()
    pre = torch.cat([torch.nn.functional.conv1d(x, cnn.conv_weight(i)).detach().flatten() for i in range(2)])
    assert lam == pytest.approx(float(torch.quantile(pre[pre > 0], 0.999)), rel=1e-5)
    levels = cnn.features(x) / lam * 4
    torch.testing.assert_close(levels, levels.round())  # pooled features on the L + 1 levels of λ
    with pytest.raises(ValueError, match="qcfs conversion needs"):
        tiny_cnn().qcfs_scale()


def test_qcfs_conversion_reproduces_the_cnn():
    # A QCFS CNN with L levels, converted with θ = λ, membrane from θ/2, the regular code with T = L and a membrane
    # readout, computes (nearly) the same function: the IF spike counts round what the CNN's activation rounds.
    from spiketext.models.convert import conversion_weights

    torch.manual_seed(1)
    L = 8
    cnn = TailoredTextCNN(Architecture(6, 3, 16, (2, 3), 4, dropout=0.0, activation="qcfs", levels=L))
    init_linear_weights(cnn, generator(1))
    x = torch.floor(torch.rand(200, 6, 9) * L + 0.5) / L  # inputs on the regular code's levels
    cnn.train()
    cnn(x[:64])
    cnn.eval()
    half = SNNConfig(init_membrane=0.5, encoder="regular", readout="membrane")
    snn = SpikingTextCNN(Architecture(6, 3, 16, (2, 3), 4), half)
    convert(cnn, snn, conversion_weights(cnn, "qcfs", lambda: [x]))
    with torch.no_grad():
        agree = (snn.class_counts(x, Draw(L)).argmax(-1) == cnn(x).argmax(-1)).float().mean()
        _, layers = snn.class_scores(x, Draw(L), record=True)
        rate = layers["pool"].mean(0) * cnn.qcfs_scale()
    assert float(agree) >= 0.9
    assert float((rate - cnn.features(x).detach()).abs().mean()) < 0.1 * cnn.qcfs_scale()
    assert "output" not in layers and layers["output_current"].shape == (L, 200, 12)


@pytest.mark.parametrize("code", ["regular", "ttfs"])
def test_signed_qcfs_conversion_reproduces_the_cnn(code):
    # The signed domain: the CNN reads s = 2e⁺ − 1 (padding 0) quantized to L levels of |s|; the SNN sends |s| on
    # two channels (spikes of ±1). With the regular code, or one spike per unit and a held current (ttfs), the
    # conv layer integrates the same charge the CNN's input carries.
    from spiketext.encoding import quantize_input
    from spiketext.models.convert import conversion_weights

    L = 8
    cnn = TailoredTextCNN(
        Architecture(6, 3, 16, (2, 3), 4, dropout=0.0, activation="qcfs", levels=L, input_domain="signed")
    )
    init_linear_weights(cnn, generator(2))
    x = quantize_input(torch.rand(200, 6, 9, generator=torch.Generator().manual_seed(3)), L, "signed")
    x[:, :, 7:] = 0  # padding at the end
    cnn.train()
    cnn(x[:64])
    cnn.eval()
    half = SNNConfig(init_membrane=0.5, encoder=code, readout="membrane")
    snn = SpikingTextCNN(Architecture(6, 3, 16, (2, 3), 4, input_domain="signed"), half)
    convert(cnn, snn, conversion_weights(cnn, "qcfs", lambda: [x]))
    with torch.no_grad():
        spikes = snn.encode(x, Draw(L))
        assert set(spikes.unique().tolist()) <= {-1.0, 0.0, 1.0} and not spikes[..., 7:].any()
        charge = sum(snn._current(conv, spikes.flatten(0, 1), L, 200).sum(0) for conv in snn.convs[:1])
        expected = torch.nn.functional.conv1d(signed_input(x), snn.convs[0].weight)
        assert torch.allclose(charge, expected * L, atol=1e-3)  # T steps of the CNN's (scaled) input current
        agree = (snn.class_counts(x, Draw(L)).argmax(-1) == cnn(x).argmax(-1)).float().mean()
        if code == "ttfs":
            # integrate, then burst: the layer emits exactly clip(round(Q/θ), 0, T) spikes, the CNN's QCFS count
            _, layers = snn.class_scores(x, Draw(L), record=True)
            theta = snn.snn.threshold
            expected_count = torch.floor(charge / theta + 0.5).clamp(0, L)
            assert (layers["conv2"].sum(0) != expected_count).float().mean() < 0.01  # exact but for ties
    print(code, float(agree))
    assert float(agree) >= 0.85
