"""Who an attack targets (--victims), registered by name: the TextCNN's CNN and SNN, the controls that separate
spiking from input noise (the CNN fed the SNN's input noise, the same CNN at a noise level matched on dev, the SNN's
weights with a deterministic code), and a transformer run's ANN, QANN and spiking transformer.

May import: spiketext.attacks, spiketext.core, spiketext.runs.saved, spiketext.settings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from spiketext.core.codes import input_code
from spiketext.core.frontend import FrontEnd
from spiketext.core.inference import ModelBundle
from spiketext.core.registry import Registry
from spiketext.core.runtime import autocast_dtype, generator
from spiketext.core.transformer_bundle import TransformerBundle
from spiketext.data.corpus import Corpus
from spiketext.errors import SpiketextError
from spiketext.runs.saved import split_of
from spiketext.settings.verbs import AttackConfig

# Who an attack targets (--victims): the CNN, the SNN, and the controls that separate spiking from input noise: the
# CNN fed the SNN's input noise (same code and T), the same CNN at a noise level whose dev accuracy matches the
# SNN's, and the SNN's weights with a deterministic code. A builder: (bundles, config, corpus, report, the Victim
# settings every victim shares) -> (the victim, the checkpoint name its report gives).
VictimBuilder = Callable[[dict, AttackConfig, Corpus, dict, dict], tuple[Any, str]]
VICTIMS: Registry[VictimBuilder] = Registry("attack victim")


@VICTIMS.register("cnn")
def _cnn_victim(bundles: dict, c: AttackConfig, corpus: Corpus, report: dict, common: dict) -> tuple[Any, str]:
    from spiketext.attacks import Victim

    return Victim(bundles["cnn"], **common), "cnn"


@VICTIMS.register("snn")
def _snn_victim(bundles: dict, c: AttackConfig, corpus: Corpus, report: dict, common: dict) -> tuple[Any, str]:
    from spiketext.attacks import Victim
    from spiketext.attacks.transformer_victim import TransformerVictim

    if isinstance(bundles["snn"], TransformerBundle):
        return TransformerVictim(bundles["snn"]), f"qann as spikes, T = {bundles['snn'].steps}"
    return Victim(bundles["snn"], **common), c.model


def _transformer_victim(key: str) -> VictimBuilder:
    def build(bundles: dict, c: AttackConfig, corpus: Corpus, report: dict, common: dict) -> tuple[Any, str]:
        from spiketext.attacks.transformer_victim import TransformerVictim

        if key not in bundles:
            raise SpiketextError(f"--victims {key}: a transformer run's victim; this run's are cnn, snn and controls")
        return TransformerVictim(bundles[key]), key

    return build


VICTIMS.add("ann", _transformer_victim("ann"))
VICTIMS.add("qann", _transformer_victim("qann"))


@VICTIMS.register("cnn-noise")
def _noisy_cnn(bundles: dict, c: AttackConfig, corpus: Corpus, report: dict, common: dict) -> tuple[Any, str]:
    from spiketext.attacks import Victim

    return Victim(bundles["cnn"], noise=_noise_of(bundles["snn"], c.noise_steps), **common), "cnn"


@VICTIMS.register("cnn-noise-matched")
def _matched_cnn(bundles: dict, c: AttackConfig, corpus: Corpus, report: dict, common: dict) -> tuple[Any, str]:
    from spiketext.attacks import Victim

    report["noise_match"] = match_noise(bundles["cnn"], bundles["snn"], corpus, c.seed, bundles["snn"].num_steps or 1)
    m = report["noise_match"]
    noise = FrontEnd(_domain(bundles["cnn"]), m["input_noise"], m["noise_levels"], m["noise_steps"])
    return Victim(bundles["cnn"], noise=noise, **common), "cnn"


@VICTIMS.register("snn-regular")
def _snn_twin(bundles: dict, c: AttackConfig, corpus: Corpus, report: dict, common: dict) -> tuple[Any, str]:
    from spiketext.attacks import Victim
    from spiketext.attacks.victim import deterministic_twin

    twin = deterministic_twin(bundles["snn"])
    return Victim(twin, **common), f"{c.model} ({twin.model.input_code} code, no input noise)"


def victims_of(
    bundles: dict[str, ModelBundle],
    c: AttackConfig,
    corpus: Corpus,
    report: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every victim `c.victims` names, and the checkpoint name each reports; the noise match goes into `report`."""
    dtype = autocast_dtype("auto", torch.device("cpu"))
    common = dict(mode=c.mode, seed=c.seed, draws=c.draws, dtype=dtype, eval_draws=c.eval_draws, recheck=c.recheck,
                  confirm=c.confirm)  # fmt: skip
    victims: dict[str, Any] = {}
    names: dict[str, str] = {}
    for key in c.victims:
        victims[key], names[key] = VICTIMS.get(key, "--victims")(bundles, c, corpus, report, common)
    return victims, names


def _domain(bundle: ModelBundle) -> str:
    return getattr(bundle.model, "input_domain", "positive")


def _noise_of(snn: ModelBundle, noise_steps: int | None) -> FrontEnd:
    """The cnn-noise control's front-end: the SNN's own input noise without its spiking."""
    model = snn.model
    if not input_code(model.input_code).deterministic and model.snn.input_noise:
        raise SpiketextError("cnn-noise: a Bernoulli SNN with input noise as well has no noisy-CNN control; drop it")
    if model.snn.input_noise:  # a deterministic code, dithered: the CNN reads the same dithered, quantized values
        return FrontEnd(_domain(snn), noise=model.snn.input_noise, levels=snn.num_steps or 1)
    return FrontEnd(_domain(snn), rate_steps=noise_steps or snn.num_steps or 1)


@torch.no_grad()
def match_noise(cnn: ModelBundle, snn: ModelBundle, corpus: Corpus, seed: int, max_steps: int) -> dict[str, Any]:
    """The noise-matched control, chosen on dev: the input noise at which the CNN's dev accuracy is closest to the
    SNN's recorded dev accuracy (its checkpoint's result). For a Bernoulli SNN the Bernoulli steps n (1 .. the
    SNN's T) of a CNN fed the mean of n input draws; for a dithered deterministic code the σ of a CNN fed the
    dithered input quantized to T levels (σ = 0.01 … 1.5). Each candidate is scored by the mean accuracy of 3 seeded
    draws; `at_grid_edge` says when the match is the grid's first or last value."""

    snn_dev = (snn.meta.get("result") or {}).get("dev_acc")
    if not isinstance(snn_dev, (int, float)):
        raise SpiketextError(f"{snn.path}: no recorded dev accuracy to match the noise to (not a run's checkpoint)")
    dev = split_of(corpus, "dev")
    x = cnn.featurizer.encode(list(dev.texts))  # [N, D, L]
    labels = torch.as_tensor(dev.labels)
    dithered = bool(snn.model.snn.input_noise) and input_code(snn.model.input_code).deterministic
    domain = getattr(cnn.model, "input_domain", "positive")
    tried: dict[Any, float] = {}
    if dithered:  # σ from 0.01 to 1.5 in steps of 0.01 up to 0.3, then 0.05: fine where the matches land
        candidates: list[Any] = [round(0.01 * k, 2) for k in range(1, 31)] + [
            round(0.3 + 0.05 * k, 2) for k in range(1, 25)
        ]
    else:  # every number of Bernoulli steps up to the SNN's T
        candidates = list(range(1, max_steps + 1))
    for i, level in enumerate(candidates):
        accs = []
        for r in range(3):
            gen = generator(seed, 0xD0E5, i if dithered else level, r)
            front = FrontEnd(domain, level, max_steps) if dithered else FrontEnd(domain, rate_steps=level)
            rate = front.values(x, gen)
            accs.append(float((cnn.model(rate).argmax(-1) == labels).float().mean()))
        tried[level] = float(np.mean(accs))
    # ties: the least noise (fewest steps are the most noise)
    best = min(tried, key=lambda s: (abs(tried[s] - snn_dev), s if dithered else -s))
    edge = best in (candidates[0], candidates[-1])  # the match at an end of the grid: the closest may lie beyond
    return {
        "at_grid_edge": edge,
        "noise_steps": 0 if dithered else best,
        "input_noise": best if dithered else 0.0,
        "noise_levels": max_steps if dithered else 0,
        "dev_acc": tried[best],
        "snn_dev_acc": float(snn_dev),
        "tried": {s: round(100 * a, 2) for s, a in tried.items()},
    }
