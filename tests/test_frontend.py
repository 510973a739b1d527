"""The one input front-end: known values, the CNN's input equal to what its SNN integrates, one setting."""

import pytest
import torch

from spiketext.core.codes import Draw
from spiketext.core.frontend import FrontEnd
from spiketext.core.runtime import generator
from spiketext.errors import SpiketextError
from spiketext.settings.config import SNNConfig
from spiketext.settings.presets import build_run_config


def _x() -> torch.Tensor:
    """e⁺ [2, 3, 4]: word units in (0, 1), the last position of the second sentence padding (all zero)."""
    x = torch.rand((2, 3, 4), generator=generator(11)) * 0.9 + 0.05
    x[1, :, 3] = 0.0
    return x


def test_clean_front_end_reads_e_plus_as_it_is_and_quantizes_to_known_levels():
    x = _x()
    assert torch.equal(FrontEnd().values(x, None), x)
    q = FrontEnd(levels=4).values(torch.tensor([[[0.1, 0.2, 0.6, 1.0]]]), None)
    assert torch.equal(q, torch.tensor([[[0.0, 0.25, 0.5, 1.0]]]))
    s = FrontEnd("signed", levels=2).values(torch.tensor([[[0.1, 0.5, 0.9, 0.0]]]), None)
    # s = 2e⁺ − 1 = −0.8, 0, 0.8 -> ±⌊2·0.8 + ½⌋/2 = ±1; back in e⁺: 0, 0.5, 1; padding stays 0
    assert torch.equal(s, torch.tensor([[[0.0, 0.5, 1.0, 0.0]]]))


def test_a_cnn_reads_what_its_snn_integrates_from_the_same_draws():
    x, T = _x(), 8
    for domain in ("positive", "signed"):
        snn = FrontEnd(domain, noise=0.2, code="regular")
        cnn = FrontEnd(domain, noise=0.2, levels=T)
        spikes = snn.spikes(x, Draw(T, generator(5)))  # [T, B, D, L]
        read = cnn.values(x, generator(5))  # e⁺ of the dithered, quantized value
        v = read if domain == "positive" else torch.where(x.abs().amax(1, keepdim=True) > 0, 2 * read - 1, 0)
        assert torch.allclose(spikes.sum(0) / T, v, atol=1e-6)
        assert (spikes[:, 1, :, 3] == 0).all()  # padding never spikes, noise or not


def test_bernoulli_rates_shared_over_a_batch_give_equal_sentences_equal_inputs():
    x = _x()[:1].expand(3, -1, -1)
    front = FrontEnd(rate_steps=16)
    shared = front.values(x, generator(2), shared_noise=True)
    assert torch.equal(shared[0], shared[1]) and torch.equal(shared[1], shared[2])
    assert torch.equal(shared, front.values(x, generator(2), shared_noise=True))  # seeded
    assert ((shared * 16).round() == shared * 16).all()  # counts of 16 steps
    apart = front.values(x, generator(2))
    assert not torch.equal(apart[0], apart[1])


def test_settings_are_checked_against_the_registries_when_the_value_is_built():
    with pytest.raises(SpiketextError, match="did you mean 'bernoulli'"):
        FrontEnd(code="bernouli")
    with pytest.raises(SpiketextError, match="alternatives"):
        FrontEnd(noise=0.1, rate_steps=4)
    with pytest.raises(SpiketextError, match="positive domain only"):
        FrontEnd("signed", rate_steps=4)
    assert FrontEnd.of_snn("signed", SNNConfig(encoder="ttfs", input_noise=0.1)).stochastic
    assert not FrontEnd.of_snn("signed", SNNConfig(encoder="ttfs")).stochastic


def test_one_input_noise_setting_and_the_retired_one_read_once_at_the_boundary():
    data = {"dataset": "sst2"}
    cfg = build_run_config("efficient", overrides={"data": data, "snn": {"input_noise": 0.1}})
    front = FrontEnd.of_cnn(cfg)  # the tailored CNN trains on its SNN's dithered input at T levels
    assert (front.domain, front.noise, front.levels, front.rate_steps) == ("signed", 0.1, cfg.snn.num_steps, 0)
    same = build_run_config(
        "efficient", overrides={"data": data, "snn": {"input_noise": 0.1}, "cnn": {"input_noise": 0.1}}
    )
    assert same == cfg  # an earlier version's config.json, which named it twice
    with pytest.raises(SpiketextError, match="cnn.input_noise: retired; .*set snn.input_noise=0.2"):
        build_run_config("efficient", overrides={"data": data, "cnn": {"input_noise": 0.2}})
