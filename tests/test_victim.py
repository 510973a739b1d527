"""The attack victim (spiketext.attacks.victim): fresh draws per query, reproducible by seed, judged on seeded
evaluation draws."""

import numpy as np
import pytest

from conftest import copy_run
from spiketext.attacks import Victim


def test_the_stochastic_victim_draws_fresh_noise_per_query_and_is_reproducible(finished_run, tmp_path):
    from spiketext.api import load_model

    run, _, _ = copy_run(finished_run, tmp_path)
    bundle = load_model(run, "snn_finetuned")
    assert bundle.model.input_code == "bernoulli"
    sents = [["good", "film", "the", "great", "plot"], ["bad", "movie", "a", "dull", "plot"]] * 4

    def victim(mode, seed=0):
        return Victim(bundle, mode, seed, draws=2, eval_draws=5)

    v = victim("expected")
    first, second = v.probs(sents), v.probs(sents)
    assert not np.allclose(first, second)  # fresh draws at every call
    np.testing.assert_allclose(victim("expected").probs(sents), first)  # the same seed: the same stream
    np.testing.assert_allclose(first[0], first[2])  # one call's sentences share its draws: a paired comparison
    fixed = victim("fixed")
    np.testing.assert_allclose(fixed.probs(sents), fixed.probs(sents))  # one frozen draw
    votes = v.verdict(sents[0], key=3)
    assert votes.shape == (5,) and (votes == v.verdict(sents[0], key=3)).all()  # seeded per example
    want = {"kind": "snn", "mode": "expected", "eval_draws": 5, "draws": 2, "seed": 0, "recheck": True}
    assert v.describe() == {**want, "input_code": "bernoulli", "num_steps": bundle.num_steps}
    with pytest.raises(Exception, match="odd"):
        Victim(bundle, "expected", 0, 2, eval_draws=4)
