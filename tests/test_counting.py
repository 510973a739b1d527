"""Operation counters: the synaptic-operation counter against closed forms on hand-made spikes, the CNN's MAC
count against the TextCNN formula."""

import torch

from spiketext.energy.counting import cnn_layer_macs, conv_synaptic_ops, window_counts


def test_window_counts_at_the_edges():
    # L = 6, k = 3: windows start at 0..3; position 0 is in one window, 2 and 3 in three, 5 in one
    assert window_counts(6, 3).tolist() == [1, 2, 3, 3, 2, 1]
    assert window_counts(5, 5).tolist() == [1, 1, 1, 1, 1]
    assert int(window_counts(25, 4).sum()) == 4 * (25 - 4 + 1)


def test_conv_synops_equal_closed_form_for_uniform_rate():
    # every input fires at every step: rate 1 × N inputs × fan-out F·windows, summed over T
    T, B, D, L, F, k = 4, 3, 5, 7, 6, 3
    spikes = torch.ones(T, B, D, L)
    assert conv_synaptic_ops(spikes, k, F) == T * B * D * F * k * (L - k + 1)
    # a single spike at an edge reaches F neurons once; in the middle, F·k
    one = torch.zeros(T, B, D, L)
    one[2, 1, 3, 0] = 1
    assert conv_synaptic_ops(one, k, F) == F
    one[0, 0, 0, 3] = 1
    assert conv_synaptic_ops(one, k, F) == F + F * k


def test_conv_synops_equal_rate_times_n_times_fanout_on_random_spikes():
    g = torch.Generator().manual_seed(0)
    T, B, D, L, F, k = 10, 4, 6, 9, 5, 4
    spikes = (torch.rand(T, B, D, L, generator=g) < 0.3).float()
    # brute force: each window's inputs are what the convolution reads
    brute = sum(int(spikes[..., p : p + k].sum()) for p in range(L - k + 1)) * F
    assert conv_synaptic_ops(spikes, k, F) == brute


def test_cnn_macs_equal_textcnn_formula():
    layers = {
        x["name"]: x for x in cnn_layer_macs(dim=300, length=25, num_filters=100, kernel_sizes=(3, 4, 5), outputs=20)
    }
    assert layers["conv3"]["macs"] == 100 * 300 * 3 * 23
    conv_total = sum(layers[f"conv{k}"]["macs"] for k in (3, 4, 5))
    assert conv_total == 100 * 300 * (3 * 23 + 4 * 22 + 5 * 21) == 7_860_000
    assert layers["fc"]["macs"] == 300 * 20
    assert layers["pool"]["acs"] == 100 * (23 + 22 + 21) and layers["pool"]["macs"] == 300
