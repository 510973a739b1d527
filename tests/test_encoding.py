"""Input codes: Bernoulli (mean, seeding, the step-wise stream, shared noise), regular (counts, spacing)."""

import pytest
import torch

from spiketext.core.codes import CODES, Draw, bernoulli_encode, binomial_rates, input_code, regular_encode
from spiketext.core.models import SpikingTextCNN
from spiketext.core.models.architecture import Architecture
from spiketext.settings.config import SNNConfig


def test_bernoulli_mean_approaches_input_and_is_seeded():
    x = torch.tensor([[0.0, 0.1, 0.5, 0.9, 1.0]])
    s = bernoulli_encode(x, Draw(20000, torch.Generator().manual_seed(0)))
    assert s.shape == (20000, 1, 5) and set(s.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(s.mean(0), x, atol=0.01, rtol=0)
    assert s[:, 0, 0].sum() == 0 and s[:, 0, 4].sum() == 20000  # padding never spikes; 1 always does
    again = bernoulli_encode(x, Draw(20000, torch.Generator().manual_seed(0)))
    other = bernoulli_encode(x, Draw(20000, torch.Generator().manual_seed(1)))
    assert torch.equal(s, again) and not torch.equal(s, other)
    assert bernoulli_encode(x, Draw(3, torch.Generator().manual_seed(0), torch.bfloat16)).dtype == torch.bfloat16
    r = binomial_rates(x.expand(4000, 5), 50, torch.Generator().manual_seed(0))
    torch.testing.assert_close(r.mean(0), x[0], atol=0.01, rtol=0)
    assert torch.allclose(r * 50, (r * 50).round())  # multiples of 1/T


def test_bernoulli_per_step_draw_equals_one_draw_over_t():
    # The CPU encoder draws step by step; it must consume the generator exactly as one [T, ...] draw would.
    x = torch.rand(3, 7, 5)
    one = torch.rand((9, 3, 7, 5), generator=torch.Generator().manual_seed(4)) < x
    assert torch.equal(bernoulli_encode(x, Draw(9, torch.Generator().manual_seed(4), torch.float32)), one.float())


def test_regular_code_fires_round_tx_times_evenly():
    x = torch.tensor([0.0, 0.25, 0.5, 0.9, 1.0])
    s = regular_encode(x, Draw(4))
    assert s.sum(0).tolist() == [0, 1, 2, 4, 4]
    assert s[:, 2].tolist() == [1, 0, 1, 0]  # rate 0.5: every other step
    y = torch.rand(6, 5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(regular_encode(y, Draw(50)).sum(0), torch.floor(50 * y + 0.5))
    model = SpikingTextCNN(Architecture(dim=6, num_classes=2, num_filters=3), SNNConfig(encoder="regular"))
    assert torch.equal(model.encode(y.unsqueeze(0).expand(2, 6, 5), Draw(8)), model.encode(y.expand(2, 6, 5), Draw(8)))


def test_shared_noise_gives_every_sentence_the_same_uniforms():
    # A sentence's spikes must not depend on its place in the batch (the fixed attack victim relies on it).
    x = torch.rand(4, 3, 5, generator=torch.Generator().manual_seed(1))
    both = bernoulli_encode(x, Draw(6, torch.Generator().manual_seed(9), shared_noise=True))
    for i in range(4):
        alone = bernoulli_encode(x[i : i + 1], Draw(6, torch.Generator().manual_seed(9), shared_noise=True))
        assert torch.equal(both[:, i : i + 1], alone)
    u = torch.rand((6, 3, 5), generator=torch.Generator().manual_seed(9))
    assert torch.equal(both, (u.unsqueeze(1) < x).float())


def test_every_input_code_has_the_same_signature():
    x = torch.rand(2, 3, 4)
    for name in CODES:
        code = input_code(name)
        s = code.encode(x, Draw(5, torch.Generator().manual_seed(0), torch.bfloat16))
        assert s.shape == (5, 2, 3, 4) and s.dtype == torch.bfloat16, name
        with pytest.raises(ValueError, match=r"needs T: pass Draw\(num_steps=T"):
            code.encode(x, Draw())
        if code.deterministic:  # the same spikes at every draw
            again = code.encode(x, Draw(5, torch.Generator().manual_seed(1), torch.bfloat16))
            assert torch.equal(s, again), name


def test_an_unknown_code_names_the_closest():
    from spiketext.errors import SpiketextError

    with pytest.raises(SpiketextError, match=r"setting snn.encoder: 'reguler' is not a known input code; did you mean"):
        input_code("reguler")


def test_ttfs_fires_once_at_t_minus_k():
    from spiketext.core.codes import ttfs_encode

    x = torch.tensor([[0.0, 0.1, 0.5, 1.0]])  # levels k = round(4·x): 0, 0, 2, 4
    s = ttfs_encode(x, Draw(4))  # [T, 1, 4]
    assert s.sum(0).tolist() == [[0.0, 0.0, 1.0, 1.0]]
    assert s[:, 0, 2].tolist() == [0, 0, 1, 0] and s[:, 0, 3].tolist() == [1, 0, 0, 0]
    # held from the spike on, it delivers k steps of current: the regular code's count
    held = s.cumsum(0).sum(0)
    assert torch.equal(held, regular_encode(x, Draw(4)).sum(0))


def test_signed_domain_keeps_padding_at_zero_and_quantizes_the_magnitude():
    from spiketext.core.codes import quantize_input, signed_input

    x = torch.zeros(1, 2, 3)
    x[0, :, 0] = torch.tensor([0.9, 0.2])  # a word
    x[0, :, 1] = torch.tensor([0.5, 0.55])  # a word near the centre
    s = signed_input(x)  # position 2 is padding (all zero)
    assert torch.allclose(s[0, :, 0], torch.tensor([0.8, -0.6])) and s[0, :, 2].tolist() == [0.0, 0.0]
    q = signed_input(quantize_input(x, 4, "signed"))
    assert torch.allclose(q[0, :, 0], torch.tensor([0.75, -0.5])) and q[0, :, 2].tolist() == [0.0, 0.0]
    assert torch.allclose(q[0, :, 1], torch.tensor([0.0, 0.0]))  # |s| = 0, 0.1 round to level 0
    assert torch.allclose(quantize_input(x, 4), torch.floor(x * 4 + 0.5) / 4)  # positive: as before


def test_input_noise_dithers_word_units_only_is_seeded_and_unbiased():
    model = SpikingTextCNN(
        Architecture(dim=2, num_classes=2, num_filters=2, kernel_sizes=(1,), input_domain="signed"),
        SNNConfig(encoder="ttfs", input_noise=0.3),
    )
    clean = SpikingTextCNN(
        Architecture(dim=2, num_classes=2, num_filters=2, kernel_sizes=(1,), input_domain="signed"),
        SNNConfig(encoder="ttfs"),
    )
    assert model.stochastic and not clean.stochastic
    x = torch.zeros(1, 2, 3)
    x[0, :, 0] = torch.tensor([0.9, 0.2])  # a word: s = 0.8, −0.6; positions 1, 2 padding
    T = 16

    def draw(seed: int) -> torch.Tensor:
        return model.encode(x, Draw(T, torch.Generator().manual_seed(seed)))  # [T, 1, 2, 3]

    assert torch.equal(draw(1), draw(1)) and not torch.equal(draw(1), draw(2))
    assert all(not draw(s)[:, :, :, 1:].any() for s in range(20))  # padding stays silent
    held = torch.stack([draw(s).cumsum(0).sum(0)[0, :, 0] / T for s in range(400)])  # the held charge k/T·sign
    assert torch.allclose(held.mean(0), torch.tensor([0.8, -0.6]), atol=0.04)  # unbiased away from the clip
    assert 0.2 < float(held[:, 1].std()) < 0.4  # σ = 0.3 plus the rounding
    assert torch.equal(clean.encode(x, Draw(T)), clean.encode(x, Draw(T, torch.Generator().manual_seed(3))))


def test_input_noise_shared_over_a_batch_gives_identical_sentences_identical_spikes():
    model = SpikingTextCNN(
        Architecture(dim=3, num_classes=2, num_filters=2, kernel_sizes=(1,), input_domain="signed"),
        SNNConfig(encoder="ttfs", input_noise=0.2),
    )
    x = torch.rand(1, 3, 4).expand(3, 3, 4).clone()
    spikes = model.encode(x, Draw(8, torch.Generator().manual_seed(0), shared_noise=True))
    assert torch.equal(spikes[:, 0], spikes[:, 1]) and torch.equal(spikes[:, 0], spikes[:, 2])
    spikes = model.encode(x, Draw(8, torch.Generator().manual_seed(0)))
    assert not torch.equal(spikes[:, 0], spikes[:, 1])


def test_a_new_input_code_is_one_registration(tmp_path):
    """docs/guide/extending.md's walk-through: register a code, and every part of spiketext takes it by name."""
    from spiketext.core.codes import InputCode
    from spiketext.core.models.architecture import Architecture
    from spiketext.core.models.spiking import SpikingTextCNN
    from spiketext.settings.config import SNNConfig

    def halves(x, draw):  # every unit at half its rate, evenly spaced: a deterministic code
        return regular_encode(x / 2, draw)

    CODES.add("halves", InputCode("halves", halves, deterministic=True))
    try:
        snn = SpikingTextCNN(
            Architecture(dim=3, num_classes=2, num_filters=4, kernel_sizes=(2,)), SNNConfig(encoder="halves")
        )
        x = torch.rand(2, 3, 5)
        counts = snn.class_counts(x, Draw(8, torch.Generator().manual_seed(0)))
        again = snn.class_counts(x, Draw(8, torch.Generator().manual_seed(1)))
        assert counts.shape == (2, 2) and torch.equal(counts, again) and not snn.stochastic
        assert int(snn.encode(x, Draw(8)).sum()) == int(regular_encode(x / 2, Draw(8)).sum())
    finally:
        CODES.remove("halves")
