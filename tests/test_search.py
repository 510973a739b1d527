"""The shared word-substitution search (spiketext.attacks.search): the word budget, the similarity constraint,
flips confirmed by evaluation draws, a stochastic victim's flip asked again."""

import numpy as np

from attack_stubs import SENTENCE, StubVictim, space
from spiketext.attacks import run_attack, summarize
from spiketext.attacks.search import word_budget


class TwoWordVictim(StubVictim):
    """Positive while "good" or "fine" is in the sentence: flipping it needs two substitutions."""

    def probs(self, tokens):
        self.queries += len(tokens)
        s = np.array([0.2 + 0.35 * ("good" in t) + 0.35 * ("fine" in t) for t in tokens])
        return np.stack([1 - s, s], axis=1)


def test_a_budget_above_one_word_is_used():
    long = "the good film was a really fine story with the actors and music and plot and the cast and the town too"
    long = long.split()
    assert word_budget(long) == 2
    ws = space()
    ws._neighbours = {"good": ["bad"], "fine": ["poor"]}  # substitutes that keep similarity but drop the score
    ws.similarity = lambda a, b: 1.0
    r = run_attack("textfooler", TwoWordVictim(), ws, [(0, long, 1)])[0]
    assert r.success and len(r.changed) == 2  # one word is not enough here; the second one flips it


def test_the_similarity_constraint_rejects_a_candidate():
    ws = space()
    ws.similarity = lambda a, b: 1.0 if a == b else 0.5  # every change falls below 0.8
    victim = StubVictim()
    r = run_attack("textfooler", victim, ws, [(0, SENTENCE, 1)])[0]
    assert not r.success and r.changed == [] and r.perturbed == SENTENCE
    ws.similarity = lambda a, b: 0.9  # the same candidates above 0.8: the attack succeeds
    assert run_attack("textfooler", StubVictim(), ws, [(0, SENTENCE, 1)])[0].success


class ConfirmNothing(StubVictim):
    """Its scores flip like StubVictim's, but every evaluation draw says the true class."""

    def verdict(self, tokens, key):
        return np.ones(5, dtype=np.int64)


def test_a_flip_the_evaluation_draws_do_not_confirm_is_not_a_success():
    r = run_attack("textfooler", ConfirmNothing(), space(), [(0, SENTENCE, 1)])[0]
    assert r.search_success and not r.success and r.adv_wrong == 0.0 and r.final_pred == 1
    s = summarize([r])
    assert s["search_success_rate"] == 1.0 and s["success_rate"] == 0.0 and s["attacked_acc"] == 1.0


class NoisyVictim(StubVictim):
    """A stochastic victim: "fine" looks like a flip the first time it is asked about, not after."""

    stochastic = True

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[tuple[str, ...]] = set()

    def probs(self, tokens):
        self.queries += len(tokens)
        out = []
        for t in tokens:
            if "good" in t:
                out.append([0.1, 0.9])
            elif "fine" in t:
                out.append([0.1, 0.9] if tuple(t) in self.asked else [0.8, 0.2])
                self.asked.add(tuple(t))
            else:
                out.append([0.9, 0.1])
        return np.array(out)

    def verdict(self, tokens, key):
        return np.array([int(self.probs([tokens])[0].argmax())])


def test_a_stochastic_victims_flip_is_asked_again_before_the_search_stops():
    ws = space()
    ws._neighbours = {"good": ["fine", "bad"]}
    ws.similarity = lambda a, b: 1.0
    r = run_attack("textfooler", NoisyVictim(), ws, [(0, SENTENCE, 1)])[0]
    assert r.success and r.perturbed[SENTENCE.index("good")] == "bad"  # "fine" was a false flip, "bad" a real one
    r = run_attack("textfooler", StubVictim(), ws, [(0, SENTENCE, 1)])[0]  # a deterministic victim: asked once
    assert r.success and r.queries < run_attack("textfooler", NoisyVictim(), ws, [(0, SENTENCE, 1)])[0].queries


class BlindSearchVictim(StubVictim):
    """The search's own score never flips ("good" or not), but the evaluation draws misclassify any sentence
    without "good": a search that gives up there has still fooled the model as judged."""

    deterministic = False

    def probs(self, tokens):
        self.queries += len(tokens)
        s = np.array([0.6 if "good" in t else 0.55 for t in tokens])
        return np.stack([1 - s, s], axis=1)

    def verdict(self, tokens, key):
        return np.array([1, 1, 0] if "good" in tokens else [0, 0, 1])  # 3 draws; the first alone: one inference


def test_every_final_sentence_is_judged_whatever_the_search_flagged():
    from spiketext.attacks.report import summarize

    ws = space()
    r = run_attack("textfooler", BlindSearchVictim(), ws, [(0, SENTENCE, 1)])[0]
    assert r.search_success is False and r.success and r.adv_wrong == 2 / 3 and r.single_wrong is True
    s = summarize([r])
    assert s["success_rate"] == 1.0 and s["success_without_search_flip"] == 1 and s["single_draw_success_rate"] == 1
