"""Adversarial text attacks on the tailored CNN and the SNN, offline.

victim.py       the model as a black box over token lists (one inference path; a Bernoulli SNN scored by the
                expected probability over fresh draws, judged on fresh evaluation draws)
words.py        stop words, embedding neighbours, WordNet synonyms
similarity.py   the sentence-similarity constraint: MiniLM (attacks extra) or mean word vectors
mlm.py          a local masked language model as BERT-Attack's source of substitutes
recipes.py      one object per recipe: textfooler, pwws, textbugger, deepwordbug, bertattack, pso
gradient.py     a white-box recipe: substitutes ranked by the gradient (through the surrogate for an SNN)
search.py       running a recipe under the shared constraints, and the verdict
report.py       metrics, markdown, CSV of every example, the plot
textattack_wrapper.py   a TextAttack `ModelWrapper` for spiketext models (where TextAttack is installed)
"""

import spiketext.attacks.gradient  # noqa: F401 - registers the gradient recipe
from spiketext.attacks.recipes import RECIPES, Recipe
from spiketext.attacks.report import attack_markdown, summarize, write_report
from spiketext.attacks.search import AttackResult, attack_one, run_attack
from spiketext.attacks.similarity import SentenceEncoderSimilarity, WordVectorSimilarity, load_similarity
from spiketext.attacks.victim import Victim
from spiketext.attacks.words import WordSpace

ATTACKS = RECIPES.names()

__all__ = [
    "ATTACKS",
    "RECIPES",
    "AttackResult",
    "Recipe",
    "SentenceEncoderSimilarity",
    "Victim",
    "WordSpace",
    "WordVectorSimilarity",
    "attack_markdown",
    "attack_one",
    "load_similarity",
    "run_attack",
    "summarize",
    "write_report",
]
