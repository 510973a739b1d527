"""Adversarial text attacks on the tailored CNN and the SNN, offline.

victim.py    the model as a black box over token lists (one inference path, fixed or averaged noise)
words.py     stop words, embedding neighbours, sentence similarity, WordNet synonyms
recipes.py   one object per recipe: textfooler, pwws, textbugger, deepwordbug
search.py    the greedy search they share, under the word budget and the similarity constraint
report.py    metrics, markdown, CSV of every example, the plot
"""

from spiketext.attacks.recipes import RECIPES, Recipe
from spiketext.attacks.report import attack_markdown, summarize, write_report
from spiketext.attacks.search import AttackResult, attack_one, run_attack
from spiketext.attacks.victim import Victim
from spiketext.attacks.words import WordSpace

ATTACKS = tuple(RECIPES)

__all__ = [
    "ATTACKS",
    "RECIPES",
    "AttackResult",
    "Recipe",
    "Victim",
    "WordSpace",
    "attack_markdown",
    "attack_one",
    "run_attack",
    "summarize",
    "write_report",
]
