"""The attacked model as a black box over token lists: class probabilities [N, C], queries counted.

A victim calls the model's one inference path (`SpikingTextCNN.class_scores`); it never re-implements the input
code. A deterministic model (a CNN, or an SNN with a deterministic input code such as `regular`) is scored as
it is. A Bernoulli SNN is stochastic: mode `fixed` (the default) scores every query with one noise draw, the
uniforms U [T, D, L] of `generator(seed)` shared by all sentences (spikes = U < rate), so the victim is a
deterministic function of its input, whatever the batching; mode `average` averages the class probabilities
of `draws` such draws (seeds seed, seed+1, ...). SNN class probabilities: softmax of the T-averaged scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from spiketext.config import VictimMode, choices
from spiketext.encoding import DETERMINISTIC_CODES
from spiketext.errors import SpiketextError
from spiketext.inference import ModelBundle
from spiketext.runtime import autocast, generator


@dataclass
class Victim:
    bundle: ModelBundle
    mode: VictimMode = "fixed"
    seed: int = 0
    draws: int = 1
    batch_size: int = 256
    dtype: torch.dtype | None = None
    queries: int = 0

    def __post_init__(self) -> None:
        if self.mode not in choices(VictimMode):
            raise SpiketextError(f"victim mode {self.mode!r}: choose one of {', '.join(choices(VictimMode))}")
        if self.draws < 1:
            raise SpiketextError(f"--draws {self.draws}: average at least one draw")

    @property
    def deterministic(self) -> bool:
        return self.bundle.kind != "snn" or self.bundle.model.input_code in DETERMINISTIC_CODES

    @property
    def seeds(self) -> list[int]:
        if self.deterministic:
            return []
        return [self.seed + r for r in range(1 if self.mode == "fixed" else self.draws)]

    def describe(self) -> dict[str, Any]:
        if self.deterministic:
            return {"kind": self.bundle.kind, "mode": "deterministic"}
        return {"kind": "snn", "mode": self.mode, "seeds": self.seeds}

    @torch.no_grad()
    def probs(self, tokens: list[list[str]]) -> np.ndarray:
        """Tokenized sentences -> class probabilities [N, C]."""
        self.queries += len(tokens)
        model, T = self.bundle.model, self.bundle.num_steps
        out = []
        for i in range(0, len(tokens), self.batch_size):
            x = self.bundle.featurizer.encode_tokens(tokens[i : i + self.batch_size])  # [B, D, L]
            if self.bundle.kind != "snn":
                with autocast("cpu", self.dtype):
                    p = torch.softmax(model(x).float(), -1)
            elif self.deterministic:
                p = torch.softmax(model.class_scores(x, T, None, self.dtype).float().mean(0), -1)
            else:
                p = torch.stack(
                    [
                        torch.softmax(
                            model.class_scores(x, T, generator(s), self.dtype, shared_noise=True).float().mean(0), -1
                        )
                        for s in self.seeds
                    ]
                ).mean(0)
            out.append(p.float().numpy())
        return np.concatenate(out)
