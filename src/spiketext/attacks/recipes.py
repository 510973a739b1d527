"""The attack recipes, one small object each, in the style of TextAttack's (searched by `search.attack_one`).

    textfooler   rank words by the drop of the true class's probability when the word is deleted; replace each
                 in turn by its nearest embedding neighbours (cosine ≥ 0.5, at most 15) and keep the best.
    pwws         rank words by softmax(saliency) × the best substitution's drop (saliency: the word replaced by
                 the unknown token); substitutes are WordNet synonyms where WordNet is installed (nltk and a
                 WordNet folder), embedding neighbours otherwise; the report says which.
    textbugger   deletion ranking; five bugs per word (insert a space, delete a letter, swap two neighbouring
                 letters, a look-alike character, the nearest embedding neighbour); keep the best.
    deepwordbug  ranking by replacing the word with the unknown token; one seeded random character edit per word
                 (swap, substitute, delete, insert), applied in order of importance.
    bertattack   Li et al. (2020): ranking by replacing the word with the unknown token; substitutes are the top
                 48 whole-word predictions of a masked language model fed the *unmasked* sentence (the paper's
                 trick: one forward pass per sentence), at each word's first sub-token (`attacks.mlm`).
    pso          Zang et al. (2020): a discrete particle swarm over word substitutions (60 particles, 20
                 iterations, the authors' inertia and turning schedules, mutation). The original draws
                 substitutes from HowNet sememes, which are not available offline; here they are WordNet synonyms
                 where WordNet is installed, embedding neighbours otherwise, and the report says which.

A new recipe is one subclass of `Recipe` registered in `RECIPES`; a recipe with its own search (PSO)
overrides `Recipe.search`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from spiketext.attacks.similarity import MIN_SIMILARITY
from spiketext.attacks.state import SearchState, replace, split_tokens
from spiketext.attacks.words import WordSpace
from spiketext.core.registry import Registry
from spiketext.errors import SpiketextError

__all__ = ["NEEDS_MLM", "RECIPES", "UNK", "Recipe", "SearchState", "replace", "split_tokens"]

UNK = "<unk>"
NEEDS_MLM = (
    "bertattack needs a masked language model: --mlm PATH (a local Hugging Face BERT-style folder with its "
    "tokenizer, e.g. bert-base-uncased saved with save_pretrained; needs transformers)"
)
LOOKALIKE = {"o": "0", "l": "1", "i": "1", "a": "@", "e": "3", "s": "$", "t": "7", "b": "8", "g": "9"}


def char_bugs(word: str, rng: np.random.Generator) -> list[str]:
    """TextBugger's character bugs: insert a space, delete, swap neighbours, a look-alike character."""
    out = []
    if len(word) > 2:
        mid = int(rng.integers(1, len(word) - 1))
        out.append(word[:mid] + " " + word[mid:])
        out.append(word[:mid] + word[mid + 1 :])
        j = int(rng.integers(1, len(word) - 2)) if len(word) > 3 else 1
        out.append(word[:j] + word[j + 1] + word[j] + word[j + 2 :])
    look = [k for k, c in enumerate(word) if c.lower() in LOOKALIKE]
    if look:
        k = look[int(rng.integers(len(look)))]
        out.append(word[:k] + LOOKALIKE[word[k].lower()] + word[k + 1 :])
    return [w for w in dict.fromkeys(out) if w != word]


def random_char_edit(word: str, rng: np.random.Generator) -> str:
    """DeepWordBug: one of swap, substitute, delete, insert, at a random position (seeded)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    kind = int(rng.integers(4))
    k = int(rng.integers(len(word)))
    if kind == 0 and len(word) > 1:
        k = min(k, len(word) - 2)
        return word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    if kind == 1:
        return word[:k] + letters[int(rng.integers(26))] + word[k + 1 :]
    if kind == 2 and len(word) > 1:
        return word[:k] + word[k + 1 :]
    return word[:k] + letters[int(rng.integers(26))] + word[k:]


class Recipe:
    """How one attack ranks the words of a sentence and which substitutes it tries for each."""

    name = ""
    rank_by_deletion = True  # importance probe: delete the word (True) or replace it by the unknown token
    keep_every_step = False  # keep the best substitute at each word even if it does not lower the true class

    def __init__(self, space: WordSpace, mlm: Any = None) -> None:
        self.space, self.mlm = space, mlm

    def prepare(self, tokens: list[str]) -> None:
        """Per-sentence work before the search (BERT-Attack: one pass of the language model)."""

    def search(self, st: SearchState) -> tuple[list[str], int, list[int], bool]:
        """Greedy: rank the words, substitute in that order until the victim's prediction flips.
        Returns (perturbed tokens, the victim's prediction, changed positions, flipped)."""
        label, p0, tokens = st.label, st.p0, st.tokens
        self.prepare(tokens)
        # 1. rank the words
        drop = p0[label] - st.victim.probs(self.probes(tokens, st.positions))[:, label]
        score = self.scores(st.victim, tokens, st.positions, drop, p0, label)
        order = [st.positions[k] for k in np.argsort(-score, kind="stable")]
        # 2. substitute greedily
        current, changed, p_cur = list(tokens), [], p0
        for i in order:
            if len(changed) >= st.budget:
                break
            trials = st.similar([replace(current, i, c) for c in self.candidates(tokens, i, st.rng)])
            if not trials:
                continue
            p = st.recheck(trials, st.probs(trials))
            if (hit := st.accept_flip(trials, p, [*changed, i])) is not None:
                return hit
            k = int(p[:, label].argmin())
            if p[k, label] < p_cur[label] or self.keep_every_step:
                current, p_cur = trials[k], p[k]
                changed.append(i)
        return current, int(p_cur.argmax()), changed, False

    def probes(self, tokens: list[str], positions: list[int]) -> list[list[str]]:
        if self.rank_by_deletion:
            return [tokens[:i] + tokens[i + 1 :] for i in positions]
        return [replace(tokens, i, UNK) for i in positions]

    def scores(self, victim, tokens: list[str], positions: list[int], drop: np.ndarray, p0, label: int) -> np.ndarray:
        """Importance of each position, from the drop of the true class's probability under the probe."""
        return drop

    def candidates(self, tokens: list[str], i: int, rng: np.random.Generator) -> list[str]:
        raise NotImplementedError


class TextFooler(Recipe):
    name = "textfooler"

    def candidates(self, tokens, i, rng):
        return self.space.neighbours(tokens[i])


class PWWS(Recipe):
    name = "pwws"
    rank_by_deletion = False
    keep_every_step = True

    def scores(self, victim, tokens, positions, drop, p0, label):
        self.best_sub: dict[int, tuple[str, float]] = {}
        for i in positions:
            subs = self.space.synonyms(tokens[i])
            if subs:
                p = victim.probs([replace(tokens, i, s) for s in subs])[:, label]
                j = int(p.argmin())
                self.best_sub[i] = (subs[j], float(p0[label] - p[j]))
        sal = np.exp(drop - drop.max())
        sal /= sal.sum()
        return np.array([sal[k] * self.best_sub.get(i, ("", -math.inf))[1] for k, i in enumerate(positions)])

    def candidates(self, tokens, i, rng):
        return [self.best_sub[i][0]] if i in self.best_sub else []


class TextBugger(Recipe):
    name = "textbugger"

    def candidates(self, tokens, i, rng):
        return char_bugs(tokens[i], rng) + self.space.neighbours(tokens[i])[:1]


class DeepWordBug(Recipe):
    name = "deepwordbug"
    rank_by_deletion = False
    keep_every_step = True

    def candidates(self, tokens, i, rng):
        return [random_char_edit(tokens[i], rng)]


class BertAttack(Recipe):
    name = "bertattack"
    rank_by_deletion = False

    def __init__(self, space: WordSpace, mlm: Any = None) -> None:
        if mlm is None:
            raise SpiketextError(NEEDS_MLM)
        super().__init__(space, mlm)
        self._subs: dict[int, list[str]] = {}

    def prepare(self, tokens):
        self._subs = self.mlm.substitutes(tokens)

    def candidates(self, tokens, i, rng):
        return self._subs.get(i, [])


class PSO(Recipe):
    """Zang et al. (2020), as TextAttack's `ParticleSwarmOptimization`: particles are perturbed sentences; each
    iteration every particle turns towards its own best and the global best word by word (probabilities from a
    velocity with decreasing inertia), may mutate (more likely the fewer words it has changed), and is scored.
    Fitness: 1 − p(true class). Turns and mutations that would exceed the word budget or fall below the
    similarity threshold are refused."""

    name = "pso"
    pop_size = 60
    max_iters = 20
    omega = (0.8, 0.2)  # inertia: from 0.8 down to 0.2
    c = (0.8, 0.2)  # probability of turning to the particle's own best: 0.8 -> 0.2; to the global best: 0.2 -> 0.8
    v_max = 3.0

    def search(self, st: SearchState) -> tuple[list[str], int, list[int], bool]:
        label, tokens, rng = st.label, st.tokens, st.rng
        subs = {i: self.space.synonyms(tokens[i]) for i in st.positions}
        sw = _Swarm(st, {i: s for i, s in subs.items() if s})
        if not sw.subs:
            return tokens, int(st.p0.argmax()), [], False

        def done(win: list[str]) -> tuple[list[str], int, list[int], bool]:
            return win, int(sw.score([win])[0].argmax()), sw.changed(win), True

        pop = [sw.mutate(tokens) for _ in range(self.pop_size)]
        if (win := sw.flipped(pop)) is not None:
            return done(win)
        fit = 1 - sw.score(pop)[:, label]
        local, local_fit = [list(p) for p in pop], fit.copy()
        g = int(fit.argmax())
        glob, glob_fit = list(pop[g]), float(fit[g])
        keys = sorted(sw.subs)
        V = rng.uniform(-self.v_max, self.v_max, size=(self.pop_size, len(keys)))
        for it in range(self.max_iters):
            frac = it / self.max_iters
            omega = (self.omega[0] - self.omega[1]) * (1 - frac) + self.omega[1]
            p_local = self.c[0] - frac * (self.c[0] - self.c[1])
            p_glob = self.c[1] + frac * (self.c[0] - self.c[1])
            for k in range(self.pop_size):
                same_l = np.array([1.0 if pop[k][i] == local[k][i] else -1.0 for i in keys])
                same_g = np.array([1.0 if pop[k][i] == glob[i] else -1.0 for i in keys])
                V[k] = np.clip(omega * V[k] + (1 - omega) * (same_l + same_g), -self.v_max, self.v_max)
                turn = 1 / (1 + np.exp(-V[k]))  # probability of taking the guide's word at each position
                for guide, p_turn in ((local[k], p_local), (glob, p_glob)):
                    if rng.uniform() < p_turn:
                        pop[k] = sw.turn(pop[k], guide, keys, turn)
            if (win := sw.flipped(pop)) is not None:
                return done(win)
            for k in range(self.pop_size):  # mutation: more likely the fewer words a particle has changed
                if rng.uniform() < 1 - 2 * len(sw.changed(pop[k])) / len(tokens):
                    pop[k] = sw.mutate(pop[k])
            if (win := sw.flipped(pop)) is not None:
                return done(win)
            fit = 1 - sw.score(pop)[:, label]
            for k in range(self.pop_size):
                if fit[k] > local_fit[k]:
                    local[k], local_fit[k] = list(pop[k]), fit[k]
            if fit.max() > glob_fit:
                g = int(fit.argmax())
                glob, glob_fit = list(pop[g]), float(fit[g])
        return glob, int(sw.score([glob])[0].argmax()), sw.changed(glob), False


class _Swarm:
    """One sentence's particle-swarm search state: scores cached per sentence (each asked once), the constraints
    checked once per sentence, the mutation weights, and the flip test (`SearchState.recheck`, the adaptive
    attacker's confirmation)."""

    def __init__(self, st: SearchState, subs: dict[int, list[str]]) -> None:
        self.st, self.subs = st, subs
        self.cache: dict[tuple[str, ...], np.ndarray] = {}
        self.similar: dict[tuple[str, ...], bool] = {}
        self.rechecked: set[tuple[str, ...]] = set()
        if not subs:
            return
        # where to mutate: positions weighted by the gain of their best substitute on the original sentence
        f_orig = 1 - float(st.p0[st.label])
        gains = np.array([max(self.best_at(st.tokens, i)[1] - f_orig, 0.0) for i in subs]) + 1e-6
        self.weights = gains / gains.sum()

    def score(self, sents: list[list[str]]) -> np.ndarray:
        """Class probabilities [K, C], each sentence asked of the victim once."""
        todo = list(dict.fromkeys(tuple(s) for s in sents if tuple(s) not in self.cache))
        if todo:
            self.cache.update(zip(todo, self.st.probs([list(t) for t in todo]), strict=True))
        return np.stack([self.cache[tuple(s)] for s in sents])

    def changed(self, s: list[str]) -> list[int]:
        return [i for i in self.subs if s[i] != self.st.tokens[i]]

    def allowed_many(self, sents: list[list[str]]) -> list[bool]:
        """Within the word budget and similar enough (similarities computed once per sentence, batched)."""
        tokens = self.st.tokens
        within = [len(self.changed(s)) <= self.st.budget for s in sents]
        need = list(dict.fromkeys(tuple(s) for s, w in zip(sents, within, strict=True) if w))
        need = [t for t in need if t not in self.similar and list(t) != tokens]
        if need:
            sims = self.st.similarity(tokens, [split_tokens(list(t)) for t in need])
            self.similar.update({t: bool(v >= MIN_SIMILARITY) for t, v in zip(need, sims, strict=True)})
        return [w and (s == tokens or self.similar[tuple(s)]) for s, w in zip(sents, within, strict=True)]

    def best_at(self, s: list[str], i: int) -> tuple[list[str], float]:
        """The best substitute at position i of s (fitness), or s itself."""
        trials = [replace(s, i, w) for w in self.subs[i]]
        trials = [t for t, ok in zip(trials, self.allowed_many(trials), strict=True) if ok]
        if not trials:
            return s, 1 - self.score([s])[0, self.st.label]
        f = 1 - self.score(trials)[:, self.st.label]
        return trials[int(f.argmax())], float(f.max())

    def mutate(self, s: list[str]) -> list[str]:
        """Pick a position by the weights and put the best substitute there (one word's candidates scored)."""
        return self.best_at(s, list(self.subs)[int(self.st.rng.choice(len(self.subs), p=self.weights))])[0]

    def turn(self, s: list[str], guide: list[str], keys: list[int], turn: np.ndarray) -> list[str]:
        """s with the guide's word at each position with probability turn[j]; s itself if that breaks a rule."""
        moved = list(s)
        for j, i in enumerate(keys):
            if self.st.rng.uniform() < turn[j]:
                moved[i] = guide[i]
        return moved if self.allowed_many([moved])[0] else s

    def flipped(self, sents: list[list[str]]) -> list[str] | None:
        """A flipping sentence of the population that the rules allow, or None."""
        st, label = self.st, self.st.label
        p = self.score(sents)
        news = list(dict.fromkeys(tuple(s) for s, q in zip(sents, p, strict=True) if q.argmax() != label))
        news = [t for t in news if t not in self.rechecked]
        if news:  # a stochastic victim's flips asked once more (SearchState.recheck)
            cands = [list(t) for t in news]
            self.cache.update(zip(news, st.recheck(cands, self.score(cands)), strict=True))
            self.rechecked.update(news)
            p = self.score(sents)
        ok = self.allowed_many(sents)
        wins = [(s, q[label]) for s, q, a in zip(sents, p, ok, strict=True) if q.argmax() != label and a]
        if st.adaptive:  # the most damaging distinct flips first, each confirmed on fresh draws
            seen: dict[tuple[str, ...], float] = {}
            for s, q in wins:
                seen.setdefault(tuple(s), q)
            for t in sorted(seen, key=seen.__getitem__)[:3]:
                if st.victim.confirmed(split_tokens(list(t)), label):
                    return list(t)
            return None
        return wins[st.most_similar([s for s, _ in wins])][0] if wins else None


# The attacks (`spiketext attack --attack NAME`): every recipe class registered under its name.
RECIPES: Registry[type[Recipe]] = Registry("attack")
for _recipe in (TextFooler, PWWS, TextBugger, DeepWordBug, BertAttack, PSO):
    RECIPES.add(_recipe.name, _recipe)
