"""A TextAttack `ModelWrapper` for spiketext models, so that users who have TextAttack (and the resources its
recipes download) can run every stock recipe against a spiketext CNN or SNN:

    from spiketext.api import textattack_wrapper
    import textattack
    wrapper = textattack_wrapper("runs/sst2", model="snn_finetuned")   # a Bernoulli SNN: expected over draws
    attack = textattack.attack_recipes.TextFoolerJin2019.build(wrapper)

The wrapper maps a list of raw strings to class probabilities [N, C] through `Victim.probs`: the run's own
tokenizer, the model's one inference path, and for a Bernoulli SNN the expected probability over fresh draws per
call (mode `expected`). TextAttack is not a dependency of spiketext; where it is missing the wrapper is a plain
callable with the same interface.
"""

from __future__ import annotations

import numpy as np

from spiketext.attacks.victim import Victim

try:  # TextAttack's base class where it is installed (it only asks for __call__)
    from textattack.models.wrappers import ModelWrapper as _Base
except Exception:  # noqa: BLE001 - ImportError, or a TextAttack that fails to import offline
    _Base = object


class SpiketextModelWrapper(_Base):  # type: ignore[misc, valid-type]
    """`wrapper(list_of_texts) -> np.ndarray [N, C]` of class probabilities; `model` is the torch module."""

    def __init__(self, victim: Victim) -> None:
        self.victim = victim
        self.model = victim.bundle.model

    def __call__(self, text_input_list: list[str], **kwargs) -> np.ndarray:
        texts = [t if isinstance(t, str) else " ".join(t) for t in text_input_list]
        return self.victim.probs(self.victim.bundle.featurizer.tokenize(texts))

    def to(self, device):  # TextAttack moves models to its device; spiketext victims score on the CPU
        return self
