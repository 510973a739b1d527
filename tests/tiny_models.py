"""Tiny models shared by the model tests: a tailored CNN and its SNN twin on a few dimensions."""

from spiketext.core.models import SpikingTextCNN, TailoredTextCNN
from spiketext.core.models.architecture import Architecture
from spiketext.core.models.textcnn import init_linear_weights
from spiketext.core.runtime import generator


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
