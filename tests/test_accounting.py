"""The reviewer's accounting (spiketext.energy.accounting): operations and memory accesses of each model recounted by
hand from small counter tables, and the SRAM and low-bit MAC prices at known points."""

import pytest

from spiketext.energy.accounting import Ops, cnn_ops, low_bit_mac_pj, snn_ops, sram_pj


def snn_layers(conv_steps=(4, 6, 3), pool_steps=(2, 3, 1)):
    """Counter tables of two SNN layers: (real-position, every-window, event-driven) neuron steps each."""
    conv = {"neuron_steps_real": conv_steps[0], "neuron_steps": conv_steps[1], "event_steps": conv_steps[2],
            "current_acs_real": 2, "current_acs": 3, "synaptic_ops": 5, "macs": 0, "spikes": 2}  # fmt: skip
    pool = {"neuron_steps_real": pool_steps[0], "neuron_steps": pool_steps[1], "event_steps": pool_steps[2],
            "current_acs_real": 0, "current_acs": 0, "synaptic_ops": 4, "macs": 1, "spikes": 1}  # fmt: skip
    return {"conv": conv, "pool": pool}


def test_snn_operations_by_hand():
    # conv: synapses 5 ACs (read weight + state, write state), 4 updates (read + write), held current 2 (read I and
    # V, write V), 2 spikes written; pool: 4 synaptic ACs reading only the accumulator, 2 updates, 1 scale MAC, 1 spike
    assert snn_ops(snn_layers(), beta=1.0) == Ops(acs=5 + 4 + 2 + 4 + 2, macs=1, reads=10 + 4 + 4 + 4 + 2 + 1,
                                                  writes=5 + 4 + 2 + 2 + 4 + 2 + 1 + 1)  # fmt: skip
    # a leak (β < 1) makes every membrane update a multiply-accumulate
    leaky = snn_ops(snn_layers(), beta=0.9)
    assert (leaky.acs, leaky.macs) == (17 - 6, 1 + 6)
    # every window instead of the real positions: 6 + 3 updates and 3 held-current steps
    every = Ops(acs=5 + 6 + 3 + 4 + 3, macs=1, reads=10 + 6 + 6 + 4 + 3 + 1, writes=5 + 6 + 3 + 2 + 4 + 3 + 1 + 1)
    assert snn_ops(snn_layers(), beta=1.0, real=False) == every
    # event-driven: a neuron is updated only at its 3 (conv) and 1 (pool) steps with input or after a spike
    assert snn_ops(snn_layers(), beta=1.0, event_driven=True).acs == 5 + 3 + 2 + 4 + 1


CNN = {"convs": {"2": {"windows_real": 3, "windows": 4, "nonzero_fanout": 10, "nonzero_outputs": 2}},
       "filters": 1, "dim": 2, "sentences": 1, "outputs": 2, "nonzero_pooled": 1}  # fmt: skip


@pytest.mark.parametrize(
    "mode, real, want",
    [
        # 3 windows × D 2 × k 2 = 12 MACs (read weight + input, write each output), 3 pool adds, 1 scale, 2 fc MACs
        ("dense", True, Ops(acs=3, macs=12 + 1 + 2, reads=24 + 3 + 2 + 4, writes=3 + 1 + 2)),
        ("dense", False, Ops(acs=4, macs=16 + 1 + 2, reads=32 + 4 + 2 + 4, writes=4 + 1 + 2)),
        # zero skipping: 10 MACs for the nonzero inputs, 2 adds for the nonzero activations, fc of 1 nonzero feature
        ("zero_skip", True, Ops(acs=2, macs=10 + 1 + 2, reads=20 + 2 + 2 + 4, writes=3 + 1 + 2)),
        # the first layer as a per-word table: k looked-up values read and k − 1 added per window and filter
        ("lut", True, Ops(acs=3 + 3, macs=1 + 2, reads=6 + 3 + 2 + 4, writes=3 + 1 + 2)),
    ],
)
def test_cnn_operations_by_hand(mode, real, want):
    assert cnn_ops(CNN, real=real, mode=mode) == want


def test_prices():
    ops = Ops(acs=2, macs=3, reads=4, writes=5)
    assert ops.compute_pj(0.9, 4.6) == pytest.approx(2 * 0.9 + 3 * 4.6)
    assert ops.memory_pj(2.0) == pytest.approx(18.0)
    assert ops + ops == Ops(4, 6, 8, 10)
    assert low_bit_mac_pj(8) == pytest.approx(0.23)  # an int8 MAC (multiply 0.2 + add 0.03, Horowitz)
    # the SRAM fit: 64-bit accesses near Horowitz's 10 / 20 / 100 pJ at 8 KB / 32 KB / 1 MB, a word priced by width
    for size, horowitz in ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0)):
        assert sram_pj(size, 64) == pytest.approx(horowitz, abs=4.7)
        assert sram_pj(size, 32) == pytest.approx(sram_pj(size, 64) / 2)
    assert sram_pj(32 * 1024, 64) == pytest.approx(13.2 + 1.09e-5 * 32 * 1024 * 8)
