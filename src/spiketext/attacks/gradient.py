"""A white-box word-substitution attack guided by the gradient (HotFlip-style; Ebrahimi et al., 2018), for the CNN
and the SNN alike: the adaptive attacker a randomized or spiking model must face (Athalye et al., 2018).

At each step it takes the gradient g of the true class's cross-entropy with respect to the input e⁺ of every word
(`Victim.gradient`: through the surrogate gradient for an SNN, its input spikes straight-through functions of
their rate; the expectation over fresh draws for a stochastic victim), and ranks every (word, substitute) pair by
the first-order gain (e⁺(substitute) − e⁺(word)) · g. It then queries the best few substitutes of the best few
words, keeps the one that lowers the true class most, and takes the gradient again, until the prediction flips
or the budget is spent. The substitutes, the word budget, the similarity constraint, the example set and the
judging are TextFooler's: only the ranking differs, so the two are compared on equal terms.

It needs a victim with gradients (a TextCNN run's CNN, its SNN and their controls); a transformer's victims
answer with a clear error.
"""

from __future__ import annotations

import numpy as np

from spiketext.attacks.recipes import RECIPES, Recipe
from spiketext.attacks.state import SearchState, replace
from spiketext.errors import SpiketextError


class GradientAttack(Recipe):
    name = "gradient"
    words_per_step = 3  # the words with the largest first-order gain, queried each step
    substitutes_per_word = 8  # the substitutes with the largest gain at each of them

    def candidates(self, tokens, i, rng):
        return self.space.neighbours(tokens[i])

    def ranked(self, st: SearchState, current: list[str], done: set[int]) -> list[tuple[float, int, list[str]]]:
        """(best gain, position, substitutes best first) for every position still open, best position first."""
        if not hasattr(st.victim, "gradient"):
            raise SpiketextError("--attack gradient needs a victim with gradients: a TextCNN run's CNN or SNN")
        g = st.victim.gradient(current, st.label)  # [n, D]
        out = []
        for i in st.positions:
            subs = self.candidates(st.tokens, i, st.rng)
            if i in done or i >= len(g) or not subs:
                continue
            rows = st.victim.input_rows([current[i], *subs])  # [1 + S, D]
            gain = (rows[1:] - rows[0]) @ g[i]
            order = np.argsort(-gain, kind="stable")[: self.substitutes_per_word]
            out.append((float(gain[order[0]]), i, [subs[k] for k in order]))
        return sorted(out, key=lambda r: -r[0])

    def search(self, st: SearchState) -> tuple[list[str], int, list[int], bool]:
        label = st.label
        current, changed, p_cur = list(st.tokens), [], st.p0
        while len(changed) < st.budget:
            moved = False
            for _, i, subs in self.ranked(st, current, set(changed))[: self.words_per_step]:
                trials = st.similar([replace(current, i, c) for c in subs])
                if not trials:
                    continue
                p = st.recheck(trials, st.probs(trials))
                if (hit := st.accept_flip(trials, p, [*changed, i])) is not None:
                    return hit
                k = int(p[:, label].argmin())
                if p[k, label] < p_cur[label]:
                    current, p_cur, moved = trials[k], p[k], True
                    changed.append(i)
                    break
            if not moved:
                break
        return current, int(p_cur.argmax()), changed, False


RECIPES.add(GradientAttack.name, GradientAttack)
