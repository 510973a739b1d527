"""Running a recipe on one example and on a list of them, under the constraints every recipe shares.

Constraints on every accepted perturbation: at most 10% of the words changed (at least one), stop words and
non-alphabetic tokens never changed, and sentence similarity ≥ 0.8 (`attacks.similarity`: MiniLM where the
`attacks` extra is installed, the mean-word-vector cosine otherwise). Most recipes search greedily
(`Recipe.search`): rank the words, substitute in that order, stop at the first perturbation the victim scores as
another class; PSO searches with a particle swarm. Character edits and the swarm draw from a generator seeded per
example, so an attack is reproducible.

A search only sees the victim's scores. Whether it succeeded is then judged once, on fresh evaluation draws the
search never saw (`Victim.verdict`): every final sentence is judged, whether or not the search's own score
flipped (a search that gave up on a sentence its noisy score still got wrong is judged like one that stopped at
a flip); the example counts as a success when the majority of those draws misclassify it, and beside that, when
the first draw alone does (one inference, as deployed). It was attacked at all only when the majority classify
the original correctly. For a deterministic victim the views coincide.

Written here, not with TextAttack: TextAttack's recipes load their embeddings, sentence encoders and language
models from the internet at run time; the searches themselves are short, so spiketext carries its own, batched
for the victims here. `attacks.textattack_wrapper` lets users who have TextAttack run its stock recipes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from spiketext.attacks.recipes import RECIPES, Recipe
from spiketext.attacks.similarity import MIN_SIMILARITY, WordVectorSimilarity
from spiketext.attacks.state import SearchState, split_tokens
from spiketext.attacks.victim import Victim, verdict
from spiketext.attacks.words import STOP_WORDS, WordSpace

MAX_WORD_FRACTION = 0.10
__all__ = ["MIN_SIMILARITY", "AttackResult", "attack_one", "run_attack", "split_tokens", "word_budget"]


@dataclass
class AttackResult:
    index: int
    label: int
    original: list[str]
    perturbed: list[str]
    original_pred: int
    final_pred: int
    skipped: bool  # misclassified before the attack (by the victim's score or the evaluation draws' majority)
    success: bool  # the evaluation draws' majority misclassifies the perturbed sentence
    queries: int
    changed: list[int]
    similarity: float
    search_success: bool | None = None  # the victim's own score flipped (None: as `success`)
    clean_correct: float = 1.0  # fraction of evaluation draws that classify the original correctly
    adv_wrong: float | None = None  # fraction of evaluation draws that misclassify the final sentence
    single_wrong: bool | None = None  # the first evaluation draw alone (one inference, as deployed) misclassifies it


def editable(tokens: list[str]) -> list[int]:
    return [i for i, w in enumerate(tokens) if w.isalpha() and w.lower() not in STOP_WORDS]


def word_budget(tokens: list[str]) -> int:
    """How many words an attack may change: 10% of the sentence, at least one."""
    return max(1, int(MAX_WORD_FRACTION * len(tokens)))


def attack_one(
    recipe: Recipe,
    victim: Victim,
    similarity,
    tokens: list[str],
    label: int,
    index: int,
    rng: np.random.Generator,
    clean: np.ndarray | None = None,
) -> AttackResult:
    """One sentence: the recipe's search within the constraints, then the verdict of fresh evaluation draws.
    Every example the evaluation draws' majority classifies correctly is attacked.
    `clean`: the original's evaluation verdict [E], where the caller already has it (it depends on the example
    alone)."""
    start = victim.queries
    clean = verdict(victim, tokens, index) if clean is None else clean  # [E] predicted classes
    clean_correct = float(np.mean(clean == label))
    p0 = victim.probs([tokens])[0]
    pred0 = int(p0.argmax())

    def result(perturbed: list[str], pred: int, changed: list[int], skipped: bool = False, flipped: bool = False):
        adv_wrong, single = None, None
        if not skipped:  # every final sentence judged once on the evaluation draws, whatever the search's flag
            votes = clean if perturbed == tokens else verdict(victim, split_tokens(perturbed), index)
            adv_wrong = float(np.mean(votes != label))
            pred = int(np.bincount(votes).argmax()) if adv_wrong > 0.5 else label
            single = bool(votes[0] != label)  # the deployed inference: one fresh draw
        sim = float(similarity(tokens, [split_tokens(perturbed)])[0]) if perturbed != tokens else 1.0
        return AttackResult(
            index, label, tokens, perturbed, pred0, pred, skipped, bool(adv_wrong is not None and adv_wrong > 0.5),
            victim.queries - start, sorted(changed), sim, bool(flipped), clean_correct, adv_wrong, single,
        )  # fmt: skip

    if clean_correct <= 0.5:
        return result(tokens, pred0 if pred0 != label else int(np.bincount(clean).argmax()), [], skipped=True)
    positions = [i for i in editable(tokens) if i < victim.max_words]  # the words the model reads
    if not positions:
        return result(tokens, pred0, [])
    state = SearchState(victim, similarity, tokens, label, positions, word_budget(tokens), p0, rng)
    perturbed, pred, changed, flipped = recipe.search(state)
    return result(perturbed, pred, changed, flipped=flipped)


def run_attack(
    name: str,
    victim: Victim,
    space: WordSpace,
    examples: list[tuple[int, list[str], int]],
    seed: int = 0,
    progress: bool = True,
    similarity=None,
    mlm=None,
    clean: dict[int, np.ndarray] | None = None,
) -> list[AttackResult]:
    """Attack every (index, tokens, label) with recipe `name`; a progress bar where output is a terminal.
    `similarity`: an `attacks.similarity` constraint (default: the mean-word-vector cosine of `space`); `mlm`: the
    masked language model BERT-Attack draws its substitutes from (`attacks.mlm.MaskedLM`)."""
    recipe = RECIPES.get(name, "--attack")(space, mlm=mlm)
    similarity = similarity or WordVectorSimilarity(space)
    results = []
    for index, tokens, label in tqdm(
        examples, desc=f"{name} on {victim.kind}", leave=False, disable=None if progress else True
    ):
        rng = np.random.default_rng([seed, index])
        votes = None if clean is None else clean.get(index)
        results.append(attack_one(recipe, victim, similarity, tokens, label, index, rng, votes))
    return results
