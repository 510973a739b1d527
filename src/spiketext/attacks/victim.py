"""The attacked model as a black box over token lists: class probabilities [N, C], queries counted, and the
verdict of fresh evaluation draws.

A victim calls the model's one inference path (`SpikingTextCNN.class_scores`); it never re-implements the input
code. A deterministic model (a CNN, or an SNN with a deterministic input code such as `regular` or `ttfs`) is
scored as it is. A Bernoulli SNN is stochastic, and how the attack sees it is the mode:

    expected  (default) the expected class probability over `draws` fresh noise draws per query: every call
              draws new seeds from the victim's own seeded stream, so no search can fit one frozen noise
              pattern. Within one call the sentences share the draws' uniforms (spikes = U < rate): the
              candidates of one word are compared on the same noise, a paired comparison.
    fixed     every query scored with one frozen draw (seed `seed`): the victim is a deterministic function of
              its input. What earlier versions attacked; kept to measure how much of its success is the draw's.
    average   the mean of `draws` frozen draws (seeds seed, seed+1, ...).

Controls (issue 25): a CNN given `noise`, an input front-end (`spiketext.core.frontend.FrontEnd`), reads its
input through it: with `rate_steps` = n the rate of n Bernoulli input draws, exactly the input an SNN with the
Bernoulli code and T = n integrates, without any spiking (stochastic like the SNN and scored in the same modes);
with σ and `levels` = T what an SNN with a deterministic code and input noise σ integrates.
`deterministic_twin` gives an SNN's weights without input noise: its own code if deterministic, the `regular` code
for a Bernoulli SNN.

The adaptive attacker (`confirm` = (k, m)): a flip the search finds is accepted only when at least k of m fresh
single draws (search stream, counted as queries) misclassify it, the rule a majority-of-draws verdict implies;
otherwise the search goes on. Judging a random model by one lucky draw overstates the attack's failure, and
stopping at a flip near the boundary understates it (Athalye et al., ICML 2018).

Whatever the mode, an attack is judged by `verdict`: the predictions of `eval_draws` fresh draws that the search
never saw (seeded per example, independent per draw, the same draws for an example's original and perturbed
sentence): an example is misclassified when the majority of them is wrong. SNN class probabilities: softmax of
the T-averaged scores.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from spiketext.core.codes import Draw, input_code
from spiketext.core.frontend import FrontEnd
from spiketext.core.inference import ModelBundle
from spiketext.core.runtime import autocast, generator
from spiketext.errors import SpiketextError
from spiketext.settings.config import VictimMode, choices

EVAL_STREAM = 0x5EED  # generator stream of the evaluation draws: never one the search draws from
SEARCH_STREAM = 0xA77  # generator stream of the expected-mode search draws


@dataclass
class Victim:
    bundle: ModelBundle
    mode: VictimMode = "expected"
    seed: int = 0
    draws: int = 8
    batch_size: int = 256
    dtype: torch.dtype | None = None
    eval_draws: int = 15
    windowed: bool = True  # score one-word variants of a call's first sentence over the changed window only
    recheck: bool = True  # expected mode: the search asks its flips again before accepting them
    noise: FrontEnd | None = None  # a CNN only: read the input through this noisy front-end (an SNN's noise)
    confirm: tuple[int, int] | None = None  # (k, m): a flip counts when k of m fresh single draws misclassify it
    queries: int = 0
    _stream: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in choices(VictimMode):
            raise SpiketextError(f"victim mode {self.mode!r}: choose one of {', '.join(choices(VictimMode))}")
        if self.draws < 1:
            raise SpiketextError(f"--draws {self.draws}: the victim needs at least one draw per query")
        if self.eval_draws < 1 or self.eval_draws % 2 == 0:
            raise SpiketextError(f"--eval-draws {self.eval_draws}: an odd number ≥ 1, so that a majority exists")
        if self.noise is not None:
            if self.bundle.kind == "snn" or self.bundle.featurizer.transform is None:
                raise SpiketextError("input noise is a control for a CNN: give a tailored CNN checkpoint")
            if self.noise.domain != getattr(self.bundle.model, "input_domain", "positive"):
                raise SpiketextError(f"input noise in the {self.noise.domain} domain for a CNN that reads another")
            if not self.noise.noisy or (self.noise.noise and self.noise.levels < 1):
                raise SpiketextError("input noise: give Bernoulli steps, or σ with levels >= 1 (the SNN's T)")
        if self.confirm is not None and not 1 <= self.confirm[0] <= self.confirm[1] <= 1000:
            raise SpiketextError(f"confirm {self.confirm}: give k of m with 1 <= k <= m <= 1000")
        self._stream = np.random.default_rng([self.seed, SEARCH_STREAM])

    @property
    def kind(self) -> str:
        return self.bundle.kind

    @property
    def max_words(self) -> int:
        """The words the model reads (L)."""
        return self.bundle.featurizer.max_len

    @property
    def deterministic(self) -> bool:
        if self.bundle.kind != "snn":
            return self.noise is None
        return not self.bundle.model.stochastic

    @property
    def stochastic(self) -> bool:
        """Does asking again give a new answer (expected mode on a Bernoulli SNN, with rechecks on)?"""
        return not self.deterministic and self.mode == "expected" and self.recheck

    @property
    def seeds(self) -> list[int]:
        """The frozen draws' seeds (fixed, average); none for expected mode or a deterministic model."""
        if self.deterministic or self.mode == "expected":
            return []
        return [self.seed + r for r in range(1 if self.mode == "fixed" else self.draws)]

    def describe(self) -> dict[str, Any]:
        model = self.bundle.model
        code = {"input_code": model.input_code, "num_steps": self.bundle.num_steps} if self.bundle.kind == "snn" else {}
        if self.bundle.kind == "snn" and model.snn.input_noise:
            code["input_noise"] = model.snn.input_noise
        if self.deterministic:
            return {"kind": self.bundle.kind, "mode": "deterministic", **code}
        d: dict[str, Any] = {"kind": self.bundle.kind, "mode": self.mode, "eval_draws": self.eval_draws, **code}
        if self.noise is not None and self.noise.rate_steps:
            d["noise_steps"] = self.noise.rate_steps
        if self.noise is not None and self.noise.noise:
            d.update(input_noise=self.noise.noise, noise_levels=self.noise.levels)
        if self.confirm is not None:
            d["confirm"] = f"{self.confirm[0]} of {self.confirm[1]} fresh draws"
        if self.mode == "expected":
            d.update(draws=self.draws, seed=self.seed, recheck=self.recheck)
        else:
            d["seeds"] = self.seeds
        return d

    def _scores(self, x: torch.Tensor, gen: torch.Generator | None, shared: bool) -> torch.Tensor:
        """x [B, D, L] -> class probabilities [B, C] of one draw (softmax of the T-averaged scores)."""
        model = self.bundle.model
        if self.bundle.kind != "snn":
            if self.noise is not None:  # the SNN's noisy input, integrated over its T steps: noise without spikes
                x = self.noise.values(x, gen, shared_noise=shared)
            with autocast("cpu", self.dtype):
                return torch.softmax(model(x).float(), -1)
        if shared and self.windowed and x.shape[0] > 1:
            scores = model.class_scores_variants(x, Draw(None, gen, self.dtype))
        else:
            scores = model.class_scores(x, Draw(None, gen, self.dtype, shared))
        return torch.softmax(scores.float().mean(0), -1)

    @torch.no_grad()
    def probs(self, tokens: list[list[str]]) -> np.ndarray:
        """Tokenized sentences -> class probabilities [N, C] (one query each)."""
        self.queries += len(tokens)
        if self.deterministic:
            seeds: list[int | None] = [None]
        elif self.mode == "expected":
            seeds = [int(s) for s in self._stream.integers(0, 2**62, size=self.draws)]
        else:
            seeds = list(self.seeds)
        out = []
        for i in range(0, len(tokens), self.batch_size):
            x = self.bundle.featurizer.encode_tokens(tokens[i : i + self.batch_size])  # [B, D, L]
            p = [self._scores(x, None if s is None else generator(s), shared=True) for s in seeds]
            out.append(torch.stack(p).mean(0).numpy())
        return np.concatenate(out)

    def gradient(self, tokens: list[str], label: int) -> np.ndarray:
        """∂ cross-entropy(true class) / ∂ e⁺ of every word the model reads [n, D]: through the surrogate gradient
        for an SNN (its input spikes straight-through functions of their rate), averaged over `draws` fresh draws
        of a stochastic victim (expectation over the noise; counted as that many queries)."""
        model, snn = self.bundle.model, self.bundle.kind == "snn"
        x = self.bundle.featurizer.encode_tokens([tokens]).detach().requires_grad_(True)  # [1, D, L]
        seeds = [None] if self.deterministic else [int(s) for s in self._stream.integers(0, 2**62, size=self.draws)]
        self.queries += len(seeds)
        target = torch.tensor([label])
        losses = []
        with torch.enable_grad():
            for s in seeds:
                gen = None if s is None else generator(s)
                if snn:
                    spikes = model.front_end.spikes_ste(x, Draw(model.snn.num_steps, gen))
                    scores = model.readout(model(spikes)).float().mean(0)  # [1, C]: the T-averaged scores
                else:
                    inp = x if self.noise is None else x + (self.noise.values(x.detach(), gen) - x.detach())
                    scores = model(inp).float()
                losses.append(torch.nn.functional.cross_entropy(scores, target))
            (grad,) = torch.autograd.grad(torch.stack(losses).mean(), x)
        return grad[0].T[: len(tokens)].numpy()  # [n, D]

    def input_rows(self, words: list[str]) -> np.ndarray:
        """The e⁺ row each word would have in a sentence [n, D] (the OOV row for a word without a vector)."""
        f, rows = self.bundle.featurizer, []
        for start in range(0, len(words), f.max_len):
            chunk = words[start : start + f.max_len]
            ids, table = f.ids_of_tokens([chunk])
            rows.append(table[torch.from_numpy(ids[0, : len(chunk)])].numpy())
        return np.concatenate(rows) if rows else np.zeros((0, f.table.shape[1]), dtype=np.float32)

    @torch.no_grad()
    def verdict(self, tokens: list[str], key: int) -> np.ndarray:
        """One sentence -> the predicted class of each fresh evaluation draw [E] (E = 1 for a deterministic
        model). The draws depend on (seed, key) alone: pass an example's index to judge its original and its
        perturbed sentence on the same draws. Not a query: the search never sees these draws."""
        x = self.bundle.featurizer.encode_tokens([tokens])  # [1, D, L]
        if self.deterministic:
            return self._scores(x, None, shared=True).argmax(-1).numpy()
        # E copies of the sentence with independent noise each: E independent draws in one batch
        gen = generator(self.seed, EVAL_STREAM, key)
        return self._scores(x.expand(self.eval_draws, -1, -1), gen, shared=False).argmax(-1).numpy()

    @torch.no_grad()
    def confirmed(self, tokens: list[str], label: int) -> bool:
        """The adaptive attacker's test of a flip: at least k of m fresh single draws (from the search's own
        stream, never the evaluation draws; m queries) misclassify `tokens`. Without `confirm`: True."""
        if self.confirm is None or self.deterministic:
            return True
        k, m = self.confirm
        self.queries += m
        x = self.bundle.featurizer.encode_tokens([tokens])
        gen = generator(int(self._stream.integers(0, 2**62)))
        preds = self._scores(x.expand(m, -1, -1), gen, shared=False).argmax(-1).numpy()
        return int((preds != label).sum()) >= k


def deterministic_twin(bundle: ModelBundle) -> ModelBundle:
    """The same SNN weights without input noise (a control: spiking without noise): its own code if that is
    deterministic, else the `regular` code (same mean rate as Bernoulli); input noise off."""
    if bundle.kind != "snn":
        raise SpiketextError("a deterministic twin needs an SNN checkpoint")
    model = copy.deepcopy(bundle.model)
    code = model.input_code if input_code(model.input_code).deterministic else "regular"
    model.snn = dataclasses.replace(model.snn, encoder=code, input_noise=0.0)
    meta = {**bundle.meta, "snn": {**bundle.meta["snn"], "encoder": code, "input_noise": 0.0}}
    return dataclasses.replace(bundle, model=model, meta=meta)


def verdict(victim: Any, tokens: list[str], key: int) -> np.ndarray:
    """The victim's evaluation verdict [E]; a victim without one (a test stub) is judged by its own scores."""
    if hasattr(victim, "verdict"):
        return victim.verdict(tokens, key)
    return victim.probs([tokens]).argmax(-1)
