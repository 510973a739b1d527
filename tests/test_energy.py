"""Energy accounting: the synaptic-operation counter against closed forms on hand-made spikes, the CNN's MAC
count against the TextCNN formula, and the energy arithmetic."""

import pytest
import torch

from spiketext.core.models.architecture import Architecture
from spiketext.core.models.spiking import SpikingTextCNN
from spiketext.energy.counting import COSTS, SNNCounter, conv_synaptic_ops
from spiketext.energy.report import count_energy, energy_report
from spiketext.settings.config import SNNConfig


def _count(model, spikes):
    counter = SNNCounter(model.kernel_sizes, 4, model.fc.out_features, 1.0)
    _, layers = model(spikes, record=True)
    counter.add(layers)
    return counter, layers


def test_counter_and_energy_arithmetic():
    g = torch.Generator().manual_seed(1)
    model = SpikingTextCNN(Architecture(dim=5, num_classes=2, num_filters=4, kernel_sizes=(2, 3), neurons_per_class=3))
    T, B, L = 6, 2, 8
    spikes = (torch.rand(T, B, 5, L, generator=g) < 0.5).float()
    with torch.no_grad():
        counter, layers = _count(model, spikes)
    c2 = counter.layers["conv2"]
    assert c2["synaptic_ops"] == conv_synaptic_ops(spikes, 2, 4)
    assert c2["input_spikes"] == int(spikes.sum()) and c2["neuron_steps"] == T * B * 4 * (L - 1)
    conv_spikes = int(layers["conv2"].sum() + layers["conv3"].sum())
    assert counter.layers["pool"]["synaptic_ops"] == conv_spikes
    assert counter.layers["fc"]["synaptic_ops"] == int(layers["pool"].sum()) * 6

    costs = COSTS["fp32"]
    r = energy_report(counter, dim=5, length=L, cnn_input_mean=0.5, costs=costs)
    syn = sum(x["synaptic_ops"] for x in counter.layers.values())
    macs = counter.layers["pool"]["macs"]
    assert macs == T * B * 8
    fa = r["first_accounting"]  # per sentence, every padded window
    assert B * fa["snn_pj_per_sentence"] == pytest.approx(0.9 * syn + 4.6 * macs)
    steps = sum(x["neuron_steps"] for x in counter.layers.values())
    assert B * fa["snn_pj_per_sentence_with_membrane"] == pytest.approx(0.9 * (syn + steps) + 4.6 * macs)
    cnn_macs = B * (4 * 5 * (2 * 7 + 3 * 6) + 8 + 8 * 6)
    cnn_acs = B * 4 * (7 + 6)
    assert B * fa["cnn_pj_per_sentence"] == pytest.approx(4.6 * cnn_macs + 0.9 * cnn_acs)
    assert fa["ratio"] == pytest.approx(fa["snn_pj_per_sentence"] / fa["cnn_pj_per_sentence"])
    assert sum(x["energy_pj"] for x in r["snn"]["layers"]) == pytest.approx(0.9 * syn + 4.6 * macs)
    snn_l, cnn_l = r["snn"]["layers"][0], r["cnn"]["layers"][0]
    assert snn_l["spikes_per_synapse"] == pytest.approx(snn_l["synaptic_ops"] / cnn_l["macs"])
    # int8 costs: the same counts, cheaper operations
    r8 = energy_report(counter, dim=5, length=L, cnn_input_mean=0.5, costs=COSTS["int8"])
    assert B * r8["first_accounting"]["snn_pj_per_sentence"] == pytest.approx(0.03 * syn + 0.23 * macs)


def test_leaky_membrane_updates_cost_a_mac():
    model = SpikingTextCNN(
        Architecture(dim=3, num_classes=2, num_filters=4, kernel_sizes=(2,), neurons_per_class=1), SNNConfig(beta=0.9)
    )
    spikes = torch.ones(2, 1, 3, 4)
    with torch.no_grad():
        _, layers = model(spikes, record=True)
    counter = SNNCounter((2,), 4, 2, beta=0.9)
    counter.add(layers)
    r = energy_report(counter, dim=3, length=4, cnn_input_mean=1.0)
    steps = sum(x["neuron_steps"] for x in counter.layers.values())
    fa = r["first_accounting"]
    assert fa["snn_pj_per_sentence_with_membrane"] - fa["snn_pj_per_sentence"] == pytest.approx(4.6 * steps)


def test_count_energy_reports_spikes_per_unit_encoding_and_matched_precisions():
    from spiketext.energy.files import energy_markdown
    from spiketext.energy.report import count_energy

    x = torch.rand(6, 5, 9, generator=torch.Generator().manual_seed(0))
    for code, noise, draws in (("bernoulli", 0, 5 * 9 * 10), ("regular", 0, 0), ("regular", 0.1, 5 * 9)):
        model = SpikingTextCNN(
            Architecture(dim=5, num_classes=2, num_filters=4, kernel_sizes=(2, 3)),
            SNNConfig(encoder=code, input_noise=noise),
        )
        report = count_energy(model, [x], 10, seed=1)
        first = report["snn"]["layers"][0]
        assert first["input_spikes_per_unit"] == pytest.approx(first["input_rate"] * 10)
        assert report["encoding"] == {**report["encoding"], "code": code, "random_draws_per_sentence": draws}
        assert report["break_even_spikes_per_unit"] == pytest.approx(4.6 / 0.9)
        fa = report["first_accounting"]
        by = fa["ratios_by_costs"]
        assert by["fp32"] == pytest.approx(fa["ratio"]) and set(by) == set(COSTS)
        # int8: an AC is 0.03 / 0.23 = 0.13 of a MAC, fp32 0.9 / 4.6 = 0.20: the SNN's ACs are relatively cheaper
        assert by["int8"] < by["fp32"]
        # the random draws' price (0.7 pJ each at fp32) is added in ratio_with_draws only, in both accountings
        extra = draws * 0.7 / fa["cnn_pj_per_sentence"]
        assert fa["ratio_with_draws"] == pytest.approx(fa["ratio"] + extra)
        p = report["reviewer"]["per_sentence_pj"]
        assert report["reviewer"]["ratio_with_draws"] == pytest.approx(report["ratio_all_ops"] + draws * 0.7 / p["cnn"])
        text = energy_markdown(report)
        assert "spikes per inference" in text and "int8" in text and f"({code} code, positive input)" in text
        # one headline: the report's top-level ratio is the reviewer's, and energy.md leads with it in bold
        assert report["ratio_all_ops"] == report["reviewer"]["ratio"]
        assert text.startswith(f"# Energy: E_SNN / E_CNN = **{report['ratio_all_ops']:.3f}**")
        assert "ratio" not in report and "ratio_memory" not in report  # the first accounting only under its name
        first_section = text.split("## The first accounting")[1]
        assert "flat" not in text and "memory" not in first_section  # no flat-5 pJ memory verdict printed


def test_signed_spikes_and_held_current_are_counted():
    # a −1 spike costs one AC per synapse like a +1; a held current adds one AC per conv neuron and step
    T, B, D, L = 3, 2, 4, 6
    spikes = torch.zeros(T, B, D, L)
    spikes[0, 0, 0, 2], spikes[1, 1, 3, 0] = 1.0, -1.0
    assert conv_synaptic_ops(spikes, 2, 5) == (2 + 1) * 5  # position 2: 2 windows, position 0: 1
    for held in (False, True):
        model = SpikingTextCNN(
            Architecture(dim=D, num_classes=2, num_filters=5, kernel_sizes=(2,), neurons_per_class=1)
        )
        with torch.no_grad():
            _, layers = model(spikes, record=True)
        counter = SNNCounter((2,), 5, 2, beta=1.0, held_current=held)
        counter.add(layers)
        c = counter.layers["conv2"]
        assert c["input_spikes"] == 2 and c["current_acs"] == (T * B * 5 * (L - 1) if held else 0)


def test_memory_inclusive_column_follows_its_stated_rules():
    g = torch.Generator().manual_seed(4)
    model = SpikingTextCNN(Architecture(dim=5, num_classes=2, num_filters=4, kernel_sizes=(2, 3), neurons_per_class=3))
    T, B, L = 5, 2, 7
    spikes = (torch.rand(T, B, 5, L, generator=g) < 0.4).float()
    with torch.no_grad():
        counter, _ = _count(model, spikes)
    costs = COSTS["fp32"]
    r = energy_report(counter, dim=5, length=L, cnn_input_mean=0.4, costs=costs)
    acc = 0
    for name, c in counter.layers.items():
        acc += c["synaptic_ops"] * (2 if name == "pool" else 3) + 2 * c["macs"] + 2 * c["neuron_steps"] + c["spikes"]
    fa = r["first_accounting"]
    snn_mem = B * fa["snn_pj_per_sentence_with_membrane"] + 5.0 * acc
    cnn_macs = B * (4 * 5 * (2 * 6 + 3 * 5) + 8 + 8 * 6)
    cnn_acs = B * 4 * (6 + 5)
    cnn_outputs = B * (4 * (6 + 5) + 8 + 6)
    cnn_mem = 4.6 * cnn_macs + 0.9 * cnn_acs + 5.0 * (2 * cnn_macs + cnn_acs + cnn_outputs)
    assert fa["ratio_memory_flat"] == pytest.approx(snn_mem / cnn_mem)


def test_reviewer_accounting_recounted_by_hand():
    """One sentence of 3 words padded to L = 5, D = 2, one filter of width 2 (weights 1), T = 2, TTFS input 0.9 (one
    spike per unit at step 0, seen for 2 steps), two output neurons (weights 1). Every count written down below."""
    from spiketext.core.models.textcnn import TailoredTextCNN
    from spiketext.energy.accounting import sram_pj

    cnn = TailoredTextCNN(Architecture(2, 2, num_filters=1, kernel_sizes=(2,), neurons_per_class=1, dropout=0.0))
    snn = SpikingTextCNN(Architecture(2, 2, 1, (2,), 1), SNNConfig(encoder="ttfs"))
    with torch.no_grad():
        for m in (cnn, snn):
            m.convs[0].weight.fill_(1.0)
            m.fc.weight.fill_(1.0)
    x = torch.zeros(1, 2, 5)
    x[:, :, :3] = 0.9
    r = count_energy(snn, [x], 2, seed=0, cnn=cnn)["reviewer"]
    # CNN on the 3 windows touching a word (of 4): conv 1·2·2·3 = 12 MACs, pool 3 adds + 1 scale, fc 2 MACs
    cnn_pj = (12 + 1 + 2) * 4.6 + 3 * 0.9
    # SNN: synaptic ops conv 2·(1 + 2 + 2) = 10, pool 6 (conv spikes: windows charged 8, 8, 4 fire twice each),
    # fc: 1 pool spike × 2 = 2; held current 2 steps × 3 windows = 6; membrane updates conv 6, and pool and fc clocked
    # through both phases: pool 2·2·1 = 4, fc 2·2·2 = 8; 2 scales
    snn_pj = (10 + 6 + 2 + 6 + 6 + 4 + 8) * 0.9 + 2 * 4.6
    assert r["ratio"] == pytest.approx(snn_pj / cnn_pj)
    # every window: the CNN 16 conv MACs and 4 adds; the SNN 8 held-current steps and 8 conv updates
    assert r["ratio_padded"] == pytest.approx(((18 + 8 + 8 + 4 + 8) * 0.9 + 2 * 4.6) / ((16 + 1 + 2) * 4.6 + 4 * 0.9))
    # zero-skipping CNN: 10 conv MACs (nonzero inputs × windows), 3 nonzero activations, 1 nonzero pooled feature
    assert r["ratio_zero_skip_cnn"] == pytest.approx(snn_pj / ((10 + 1 + 2) * 4.6 + 3 * 0.9))
    # 2-bit activations (⌈log₂ 3⌉) × int8 weights: 0.2·2/8 + 0.03 pJ per MAC; the SNN at int8
    assert r["activation_bits"] == 2
    assert r["ratio_quantized_cnn"] == pytest.approx((42 * 0.03 + 2 * 0.23) / (15 * 0.08 + 3 * 0.03))
    # both first layers as a table: (k − 1)·3 = 3 adds each; the SNN keeps its conv updates, pool and fc
    assert r["ratio_lut"] == pytest.approx(((3 + 6 + 8 + 12) * 0.9 + 2 * 4.6) / ((3 + 3) * 0.9 + 3 * 4.6))
    # memory: SNN reads 20 + 6 + 4 + 12 (held: I and V) + 18 (updates) + 2 (scales), writes 10 + 6 + 2 + 6 + 18 + 2
    # + 7 spikes (6 conv, 1 pool; the outputs reach U = θ exactly and S = H(U − θ) with H(0) = 0 does not fire);
    # CNN reads 24 + 3 + 2 + 4, writes 3 conv outputs + 1 pooled + 2 outputs
    word = sram_pj(32 * 1024, 32)
    assert r["ops"]["snn"] == {"acs": 42, "macs": 2, "reads": 62, "writes": 51}
    assert r["memory"]["32KB"] == pytest.approx((snn_pj + 113 * word) / (cnn_pj + 39 * word))
    assert r["memory"]["32KB"] > 1  # here the SNN loses once memory is counted
    # event-driven updates: conv 3 charged neurons at step 0 + 3 after their spikes, pool input at both steps (2),
    # fc input only at step 1 (2 neurons), nothing in the integration phase: 10 updates instead of 18
    assert r["ratio_event_driven"] == pytest.approx((snn_pj - 8 * 0.9) / cnn_pj)


def test_the_cnn_counter_counts_what_a_quantized_cnn_reads():
    """A CNN trained on inputs quantized to n levels is evaluated so, and its zero-skipping count reads the
    quantized values: a unit whose |s| rounds to 0 at n = 4 is skipped."""
    from spiketext.core.models.textcnn import TailoredTextCNN
    from spiketext.energy.counting import CNNCounter

    arch = Architecture(dim=2, num_classes=2, num_filters=1, kernel_sizes=(1,), neurons_per_class=1,
                        input_domain="signed", input_levels=4)  # fmt: skip
    cnn = TailoredTextCNN(arch).eval()
    x = torch.zeros(1, 2, 3)
    x[0, :, :2] = torch.tensor([[0.55, 0.9], [0.52, 0.2]])  # s = 2e⁺ − 1: 0.1, 0.8 / 0.04, −0.6; position 2 padding
    assert cnn.model_input(x).tolist() == [[[0.0, 0.75, 0.0], [0.0, -0.5, 0.0]]]  # ⌊4·|s| + ½⌋/4
    counter = CNNCounter(2, 1, (1,), 2)
    counter.add(x, torch.tensor([[True, True, False]]), cnn)
    assert counter.counts["convs"]["1"]["nonzero_fanout"] == 2  # the two units of position 1; position 0 rounds to 0
