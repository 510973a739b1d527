"""Attacks on a saved run with the controls (spiketext.runs.robustness): noisy CNN victims read exactly the SNN's input
noise, the deterministic twin, one example set with paired comparisons and transfer."""

import json

import pytest
import torch

from conftest import TINY
from spiketext import api
from spiketext.cli import main
from spiketext.core.codes import Draw
from spiketext.core.frontend import FrontEnd
from spiketext.errors import SpiketextError


def test_noise_control_victim_and_deterministic_twin(tmp_path, tiny_task):
    from spiketext.attacks.victim import Victim, deterministic_twin
    from spiketext.core.codes import Draw, bernoulli_encode
    from spiketext.core.runtime import generator

    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), *TINY]
    assert main([*argv, "--set", "cnn.epochs=3", "--set", "finetune.epochs=1"]) == 0
    cnn, snn = api.load_model(out, "cnn"), api.load_model(out, "snn_finetuned")
    tokens = [["good", "film"], ["awful", "plot", "the"]]
    noisy = Victim(cnn, noise=FrontEnd(rate_steps=8))
    assert not noisy.deterministic and noisy.describe()["noise_steps"] == 8
    # the noisy CNN reads exactly the mean of the SNN code's Bernoulli input over its T steps
    x = cnn.featurizer.encode_tokens(tokens)
    want = torch.softmax(cnn.model(bernoulli_encode(x, Draw(8, generator(3), torch.float32, True)).mean(0)), -1)
    assert torch.allclose(noisy._scores(x, generator(3), shared=True), want)
    # with many steps the noise vanishes: the noisy CNN's verdict is the CNN's
    calm = Victim(cnn, noise=FrontEnd(rate_steps=5000), eval_draws=3)
    for i, t in enumerate(tokens):
        assert (calm.verdict(t, i) == Victim(cnn).verdict(t, i)[0]).all()
    twin = deterministic_twin(snn)
    assert twin.model.input_code == "regular" and snn.model.input_code == "bernoulli"
    assert Victim(twin).deterministic and not Victim(snn).deterministic
    with pytest.raises(SpiketextError, match="a control for a CNN"):
        Victim(snn, noise=FrontEnd(rate_steps=8))


@pytest.mark.slow
def test_a_dithered_snn_is_stochastic_and_its_controls_read_the_same_noise(tmp_path, tiny_task):
    from spiketext.attacks.victim import Victim, deterministic_twin
    from spiketext.core.frontend import FrontEnd
    from spiketext.core.runtime import generator

    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), "--preset", "efficient"]
    argv += [*TINY, "--set", "cnn.epochs=2", "--set", "finetune.epochs=1", "--set", "snn.input_noise=0.3"]
    assert main(argv) == 0
    cnn, snn = api.load_model(out, "cnn"), api.load_model(out, "snn_finetuned")
    assert snn.model.snn.input_noise == 0.3 and snn.model.input_code == "ttfs" and not Victim(snn).deterministic
    twin = deterministic_twin(snn)  # its own deterministic code, without the noise
    assert twin.model.input_code == "ttfs" and twin.model.snn.input_noise == 0 and Victim(twin).deterministic
    front = FrontEnd("signed", noise=0.3, levels=snn.num_steps)
    noisy = Victim(cnn, noise=front)
    x = cnn.featurizer.encode_tokens([["good", "film"], ["awful", "plot", "the"]])
    want = torch.softmax(cnn.model(front.values(x, generator(3), shared_noise=True)), -1)
    assert torch.allclose(noisy._scores(x, generator(3), shared=True), want)
    # the CNN fed the dithered input at T levels reads what the SNN's first layer integrates: the held charge k/T
    v = front.values(x, generator(5))
    spikes = snn.model.encode(x, Draw(snn.num_steps, generator(5)))  # [T, B, D, L]
    held = spikes.cumsum(0).sum(0) / snn.num_steps
    assert torch.allclose(held, torch.where(x.abs().amax(1, keepdim=True) > 0, 2 * v - 1, 0), atol=1e-6)
    summary = tmp_path / "s.json"
    victims = "cnn,snn,cnn-noise,cnn-noise-matched,snn-regular"
    assert main(["attack", str(out), "--attack", "deepwordbug", "--n", "6", "--victims", victims, "--draws", "2",
                 "--eval-draws", "3", "--similarity", "word-vectors", "--json", str(summary)]) == 0  # fmt: skip
    r = json.loads(summary.read_text())
    assert r["cnn-noise"]["victim"]["input_noise"] == 0.3 and r["cnn-noise"]["victim"]["noise_levels"] == snn.num_steps
    assert r["noise_match"]["input_noise"] in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
    assert r["snn-regular"]["victim"]["input_code"] == "ttfs"


@pytest.mark.slow
def test_attack_with_controls_on_one_example_set(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), *TINY]
    assert main([*argv, "--set", "cnn.epochs=3", "--set", "finetune.epochs=1"]) == 0
    victims = "cnn,snn,cnn-noise,cnn-noise-matched,snn-regular"
    summary = tmp_path / "s.json"
    assert main(["attack", str(out), "--attack", "deepwordbug", "--n", "8", "--victims", victims, "--draws", "2",
                 "--eval-draws", "3", "--confirm", "2/3", "--json", str(summary)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    r = json.loads(summary.read_text())
    assert r["victims"] == victims.split(",")
    assert set(r["comparisons"]) == {"snn", "cnn-noise", "cnn-noise-matched", "snn-regular"}
    common = r["example_set"]["common"]
    assert all(c["n"] == common for c in r["comparisons"].values())
    assert all(r[v]["n"] == common for v in victims.split(","))
    assert r["snn-regular"]["victim"]["input_code"] == "regular"
    assert r["cnn-noise"]["victim"]["noise_steps"] == 8 and r["snn"]["victim"]["confirm"] == "2 of 3 fresh draws"
    assert 1 <= r["noise_match"]["noise_steps"] <= 8
    assert "McNemar p" in text and "cnn-noise-matched: input noise of " in text and "Transfer: the CNN" in text
    assert set(r["transfer"]) == {"snn", "cnn-noise", "cnn-noise-matched", "snn-regular"}
    # the earlier protocol lives in the archive (git tag archive-legacy-protocol), not in the main code
    with pytest.raises(SystemExit):
        main(["attack", str(out), "--attack", "deepwordbug", "--legacy-protocol"])
    assert main(["attack", str(out), "--attack", "deepwordbug", "--victims", "cnn,cnn"]) == 2
    assert main(["attack", str(out), "--attack", "deepwordbug", "--confirm", "x"]) == 2
