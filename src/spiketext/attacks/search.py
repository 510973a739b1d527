"""The greedy word-substitution search every recipe shares, and running it over a list of examples.

Constraints on every accepted perturbation: at most 10% of the words changed (at least one), stop words and
non-alphabetic tokens never changed, and sentence similarity ≥ 0.8, measured as the cosine between the means of
the raw pretrained vectors of the two sentences' words. An attack stops at the first perturbation that flips the
prediction. Character edits draw from a generator seeded per example, so an attack is reproducible.

Written here, not with TextAttack: TextAttack's recipes load their embeddings, sentence encoders and language
models from the internet at run time, and its dependencies (TensorFlow Hub, transformers) would make the install
heavy; the searches themselves are short, so spiketext carries its own, batched for the victims here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from spiketext.attacks.recipes import RECIPES, Recipe, replace
from spiketext.attacks.victim import Victim
from spiketext.attacks.words import STOP_WORDS, WordSpace
from spiketext.errors import SpiketextError

MAX_WORD_FRACTION = 0.10
MIN_SIMILARITY = 0.8


@dataclass
class AttackResult:
    index: int
    label: int
    original: list[str]
    perturbed: list[str]
    original_pred: int
    final_pred: int
    skipped: bool  # misclassified before the attack
    success: bool
    queries: int
    changed: list[int]
    similarity: float


def editable(tokens: list[str]) -> list[int]:
    return [i for i, w in enumerate(tokens) if w.isalpha() and w.lower() not in STOP_WORDS]


def split_tokens(tokens: list[str]) -> list[str]:
    """A bug that inserts a space makes two tokens, as a tokenizer would."""
    return [piece for t in tokens for piece in t.split(" ")]


def word_budget(tokens: list[str]) -> int:
    """How many words an attack may change: 10% of the sentence, at least one."""
    return max(1, int(MAX_WORD_FRACTION * len(tokens)))


def attack_one(
    recipe: Recipe,
    victim: Victim,
    space: WordSpace,
    tokens: list[str],
    label: int,
    index: int,
    rng: np.random.Generator,
) -> AttackResult:
    """One sentence: rank its words, then substitute greedily within the constraints until the prediction flips."""
    start = victim.queries
    p0 = victim.probs([tokens])[0]
    pred0 = int(p0.argmax())

    def result(perturbed: list[str], pred: int, changed: list[int], skipped: bool = False) -> AttackResult:
        return AttackResult(
            index,
            label,
            tokens,
            perturbed,
            pred0,
            pred,
            skipped,
            (not skipped) and pred != label,
            victim.queries - start,
            sorted(changed),
            space.similarity(tokens, split_tokens(perturbed)),
        )

    if pred0 != label:
        return result(tokens, pred0, [], skipped=True)
    max_len = victim.bundle.featurizer.max_len
    positions = [i for i in editable(tokens) if i < max_len]  # the model reads L words
    budget = word_budget(tokens)
    if not positions:
        return result(tokens, pred0, [])

    # 1. rank the words
    drop = p0[label] - victim.probs(recipe.probes(tokens, positions))[:, label]
    score = recipe.scores(victim, tokens, positions, drop, p0, label)
    order = [positions[k] for k in np.argsort(-score, kind="stable")]

    # 2. substitute greedily
    current, changed = list(tokens), []
    p_cur = p0
    for i in order:
        if len(changed) >= budget:
            break
        trials = [replace(current, i, c) for c in recipe.candidates(tokens, i, rng)]
        trials = [t for t in trials if space.similarity(tokens, split_tokens(t)) >= MIN_SIMILARITY]
        if not trials:
            continue
        p = victim.probs([split_tokens(t) for t in trials])
        flipped = [k for k in range(len(trials)) if p[k].argmax() != label]
        if flipped:
            k = max(flipped, key=lambda k: space.similarity(tokens, split_tokens(trials[k])))
            return result(trials[k], int(p[k].argmax()), [*changed, i])
        k = int(p[:, label].argmin())
        if p[k, label] < p_cur[label] or recipe.keep_every_step:
            current, p_cur = trials[k], p[k]
            changed.append(i)
    return result(current, int(p_cur.argmax()), changed)


def run_attack(
    name: str,
    victim: Victim,
    space: WordSpace,
    examples: list[tuple[int, list[str], int]],
    seed: int = 0,
    progress: bool = True,
) -> list[AttackResult]:
    """Attack every (index, tokens, label) with recipe `name`; a progress bar where output is a terminal."""
    if name not in RECIPES:
        raise SpiketextError(f"attack {name!r}: choose one of {', '.join(RECIPES)}")
    recipe = RECIPES[name](space)
    results = []
    for index, tokens, label in tqdm(
        examples, desc=f"{name} on {victim.bundle.kind}", leave=False, disable=None if progress else True
    ):
        rng = np.random.default_rng([seed, index])
        results.append(attack_one(recipe, victim, space, tokens, label, index, rng))
    return results
