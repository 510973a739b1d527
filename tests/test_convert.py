"""Conversion (spiketext.core.models.convert): a weight copy, the normalizations, QCFS conversion reproducing the
CNN."""

import pytest
import torch

from spiketext.core.codes import Draw, bernoulli_encode, signed_input
from spiketext.core.models import SpikingTextCNN, TailoredTextCNN
from spiketext.core.models.architecture import Architecture
from spiketext.core.models.convert import convert, data_based_scales, model_based_scales, normalized_weights
from spiketext.core.models.textcnn import init_linear_weights
from spiketext.core.runtime import generator
from spiketext.errors import SpiketextError
from spiketext.settings.config import SNNConfig
from tiny_models import tiny_cnn, tiny_snn


def test_conversion_is_a_copy_and_rates_approach_cnn_as_t_grows():
    torch.manual_seed(0)
    cnn = tiny_cnn()
    x = torch.rand(16, 6, 9)
    lam1, lam3 = data_based_scales(cnn, [x], percentile=100.0)
    snn = convert(cnn, tiny_snn(), normalized_weights(cnn.export_weights(), lam1, lam3))
    target = cnn.features(x).detach() / lam1  # pooled activations, normalised into [0, 1]
    errors = []
    for T in (10, 100, 1000):
        spikes = bernoulli_encode(x, Draw(T, torch.Generator().manual_seed(T)))
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


def test_conversion_weights_normalizations_and_input_scale():
    from spiketext.core.models.convert import conversion_weights

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
    with pytest.raises(SpiketextError, match="'bogus' is not a known normalization"):
        conversion_weights(cnn, "bogus", lambda: [x])


def test_qcfs_conversion_reproduces_the_cnn():
    # A QCFS CNN with L levels, converted with θ = λ, membrane from θ/2, the regular code with T = L and a membrane
    # readout, computes (nearly) the same function: the IF spike counts round what the CNN's activation rounds.
    from spiketext.core.models.convert import conversion_weights

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
    from spiketext.core.codes import quantize_input
    from spiketext.core.models.convert import conversion_weights

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
