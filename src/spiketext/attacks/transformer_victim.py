"""A transformer (its ANN, its QANN, or the QANN run as a spiking transformer) as an attack's black box over token
lists: the same interface as `spiketext.attacks.victim.Victim`, for a model with no random draw.

The words an attack edits are joined by spaces and read through the model's word pieces (`TransformerBundle`), as
raw text a user types would be. Every model here is deterministic (the spiking transformer's input is the
embedding layer's output, not a random code), so a query is one pass, the verdict one prediction, and a flip needs
no confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from spiketext.core.transformer_bundle import TransformerBundle


@dataclass
class TransformerVictim:
    bundle: TransformerBundle
    batch_size: int = 64
    queries: int = 0
    deterministic: bool = True
    stochastic: bool = False
    confirm: None = None

    @property
    def kind(self) -> str:
        return self.bundle.kind

    @property
    def max_words(self) -> int:
        """Words past this many pieces are cut by the tokenizer (a word is at least one piece)."""
        return self.bundle.tokenizer.max_len - 2

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.bundle.kind, "mode": "deterministic", "family": "transformer"}
        if self.bundle.kind == "snn":
            d["num_steps"] = self.bundle.steps
        return d

    @torch.no_grad()
    def probs(self, tokens: list[list[str]]) -> np.ndarray:
        """Tokenized sentences -> class probabilities [N, C] (one query each)."""
        self.queries += len(tokens)
        logits = self.bundle.logits([" ".join(t) for t in tokens], self.batch_size)
        return torch.softmax(logits, -1).numpy()

    def verdict(self, tokens: list[str], key: int) -> np.ndarray:
        """One sentence -> its predicted class [1] (not a query: the judge's look)."""
        return self.bundle.logits([" ".join(tokens)], self.batch_size).argmax(-1).numpy()

    def confirmed(self, tokens: list[str], label: int) -> bool:
        return True
