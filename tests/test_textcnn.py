"""The tailored TextCNN (spiketext.core.models.textcnn): shapes, zero-mean filters, seeded init, QCFS."""

import numpy as np
import pytest
import torch

from spiketext.core.models import StandardTextCNN, TailoredTextCNN
from spiketext.core.models.architecture import Architecture
from spiketext.core.models.textcnn import init_linear_weights, population_logits
from spiketext.core.runtime import generator
from tiny_models import tiny_cnn


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


def test_seeded_init_is_reproducible():
    a, b = tiny_cnn(seed=4), tiny_cnn(seed=4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(tiny_cnn(seed=5).fc.weight, a.fc.weight)
    assert np.isfinite(a.fc.weight.detach().numpy()).all()


def test_qcfs_activation_values_and_gradients():
    from spiketext.core.models.textcnn import qcfs

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
