"""Adversarial text attacks on the tailored CNN and the SNN, offline (issue 6).

Four black-box recipes in the style of TextAttack's, searched greedily over the words of a sentence:

    textfooler   rank words by the drop of the true class's probability when the word is deleted; replace each
                 in turn by its nearest embedding neighbours (cosine ≥ 0.5, at most 15) and keep the best.
    pwws         rank words by softmax(saliency) × the best substitution's drop (saliency: the word replaced by
                 the unknown token); substitutes are WordNet synonyms where WordNet is installed (nltk and a
                 WordNet folder), embedding neighbours otherwise; the report says which.
    textbugger   deletion ranking; five bugs per word (insert a space, delete a letter, swap two neighbouring
                 letters, a look-alike character, the nearest embedding neighbour); keep the best.
    deepwordbug  ranking by replacing the word with the unknown token; one seeded random character edit per word
                 (swap, substitute, delete, insert), applied in order of importance.

Constraints on every accepted perturbation: at most 10% of the words changed (at least one), stop words and
non-alphabetic tokens never changed, and sentence similarity ≥ 0.8, measured as the cosine between the means of
the raw pretrained vectors of the two sentences' words (a documented embedding-based similarity: no offline
sentence encoder ships its weights on PyPI). An attack stops at the first perturbation that flips the prediction.

The SNN is stochastic. Mode `fixed` (the default) scores every query with one recorded noise draw U [T, D, L]
shared by all sentences (spikes = U < rate), so the victim is a deterministic function of its input, whatever
the batching; mode `average` averages the class probabilities of `draws` such draws (seeds seed, seed+1, ...).
Class probabilities of the SNN: softmax of the T-averaged class spike counts.

Written here, not with TextAttack: TextAttack's recipes load their embeddings, sentence encoders and language
models from the internet at run time, and its dependencies (TensorFlow Hub, transformers) would make the install
heavy; the searches themselves are short, so spiketext carries its own, batched for the victims here.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spiketext.inference import ModelBundle
from spiketext.train import generator

ATTACKS = ("textfooler", "pwws", "textbugger", "deepwordbug")

# NLTK's English stop word list (the one TextAttack's recipes use), as data.
_STOP_WORDS_TEXT = """
    a about above after again against ain all am an and any are aren aren't as at be because been before being below
    between both but by can couldn couldn't d did didn didn't do does doesn doesn't doing don don't down during
    each few for from further had hadn hadn't has hasn hasn't have haven haven't having he her here hers herself him
    himself his how i if in into is isn isn't it it's its itself just ll m ma me mightn mightn't more most mustn
    mustn't my myself needn needn't no nor not now o of off on once only or other our ours ourselves out over own re
    s same shan shan't she she's should should've shouldn shouldn't so some such t than that that'll the their
    theirs them themselves then there these they this those through to too under until up ve very was wasn wasn't
    we were weren weren't what when where which while who whom why will with won won't wouldn wouldn't y you you'd
    you'll you're you've your yours yourself yourselves n't 's 're 've 'll 'd 'm"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

MAX_WORD_FRACTION = 0.10
MIN_SIMILARITY = 0.8
NEIGHBOUR_COSINE = 0.5
MAX_CANDIDATES = 15
LOOKALIKE = {"o": "0", "l": "1", "i": "1", "a": "@", "e": "3", "s": "$", "t": "7", "b": "8", "g": "9"}


# --- victims ------------------------------------------------------------------------------------------------------


@dataclass
class Victim:
    """A saved model as a black box over token lists: class probabilities [N, C]; counts its queries."""

    bundle: ModelBundle
    mode: str = "fixed"  # fixed | average (SNN only)
    seed: int = 0
    draws: int = 1
    batch_size: int = 256
    dtype: torch.dtype | None = None
    queries: int = 0
    noise: list[torch.Tensor] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("fixed", "average"):
            raise ValueError(f"victim mode {self.mode!r}: fixed or average")
        if self.bundle.kind == "snn" and self.bundle.model.encoder != "regular":  # the regular code draws nothing
            n = 1 if self.mode == "fixed" else self.draws
            enc = self.bundle.encoder
            shape = (self.bundle.num_steps, enc.table.shape[1], enc.max_len)
            self.noise = [torch.rand(shape, generator=generator(self.seed + r)) for r in range(n)]

    def describe(self) -> dict[str, Any]:
        if self.bundle.kind != "snn" or not self.noise:
            return {"kind": self.bundle.kind, "mode": "deterministic"}
        return {"kind": "snn", "mode": self.mode, "seeds": [self.seed + r for r in range(len(self.noise))]}

    @torch.no_grad()
    def probs(self, tokens: list[list[str]]) -> np.ndarray:
        self.queries += len(tokens)
        out = []
        for i in range(0, len(tokens), self.batch_size):
            x = self.bundle.encoder.encode_tokens(tokens[i : i + self.batch_size])  # [B, D, L]
            model = self.bundle.model
            with torch.autocast("cpu", dtype=self.dtype or torch.bfloat16, enabled=self.dtype is not None):
                if self.bundle.kind != "snn":
                    p = torch.softmax(model(x).float(), -1)
                else:
                    rate = (x * model.input_scale).unsqueeze(0)  # [1, B, D, L]
                    p = torch.stack(
                        [
                            torch.softmax(
                                model.class_scores(model((u.unsqueeze(1) < rate).float())).float().mean(0), -1
                            )
                            for u in self.noise
                        ]
                    ).mean(0)
            out.append(p.float().numpy())
        return np.concatenate(out)


# --- word resources -------------------------------------------------------------------------------------------------


class WordSpace:
    """Raw pretrained vectors for neighbours and sentence similarity; WordNet synonyms where available."""

    def __init__(
        self, words: list[str], vectors: np.ndarray, pool_size: int = 50_000, use_wordnet: bool = True
    ) -> None:
        self.index = {w: i for i, w in enumerate(words)}
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-8)
        self.words, self.unit = words, unit.astype(np.float32)
        pool = [i for i, w in enumerate(words[: pool_size * 2]) if w.isalpha()][:pool_size]
        self.pool = np.array(pool)
        self.pool_unit = self.unit[self.pool]
        self._neighbours: dict[str, list[str]] = {}
        self._wordnet = _load_wordnet() if use_wordnet else None
        self._synonyms: dict[str, list[str]] = {}

    @property
    def synonym_source(self) -> str:
        return "wordnet" if self._wordnet is not None else "embedding neighbours"

    def neighbours(self, word: str) -> list[str]:
        """Up to 15 nearest words (cosine ≥ 0.5) among the most frequent alphabetic words."""
        key = word.lower()
        if key not in self._neighbours:
            i = self.index.get(key)
            if i is None:
                self._neighbours[key] = []
            else:
                cos = self.pool_unit @ self.unit[i]
                top = np.argsort(-cos)[: MAX_CANDIDATES + 1]
                self._neighbours[key] = [
                    self.words[self.pool[j]]
                    for j in top
                    if cos[j] >= NEIGHBOUR_COSINE and self.words[self.pool[j]] != key
                ][:MAX_CANDIDATES]
        return self._neighbours[key]

    def synonyms(self, word: str) -> list[str]:
        """WordNet synonyms (single words with a vector) where WordNet is installed, else embedding neighbours."""
        if self._wordnet is None:
            return self.neighbours(word)
        key = word.lower()
        if key not in self._synonyms:
            names = {
                lemma.name().lower()
                for syn in self._wordnet.synsets(key)
                for lemma in syn.lemmas()
                if "_" not in lemma.name()
            }
            self._synonyms[key] = sorted(n for n in names if n != key and n in self.index)[:MAX_CANDIDATES]
        return self._synonyms[key]

    def sentence_vector(self, tokens: list[str]) -> np.ndarray:
        rows = [self.index[t.lower()] for t in tokens if t.lower() in self.index]
        return self.unit[rows].mean(0) if rows else np.zeros(self.unit.shape[1], np.float32)

    def similarity(self, a: list[str], b: list[str]) -> float:
        va, vb = self.sentence_vector(a), self.sentence_vector(b)
        denom = float(np.linalg.norm(va) * np.linalg.norm(vb))
        return float(va @ vb) / denom if denom > 0 else 0.0


# The 45 lexicographer files of WordNet 3.0 (its `lexnames` file, which Debian's wordnet-base leaves out).
_LEXNAMES_TEXT = """
    adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body noun.cognition
    noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive noun.object
    noun.person noun.phenomenon noun.plant noun.possession noun.process noun.quantity noun.relation noun.shape
    noun.state noun.substance noun.time verb.body verb.change verb.cognition verb.communication verb.competition
    verb.consumption verb.contact verb.creation verb.emotion verb.motion verb.perception verb.possession
    verb.social verb.stative verb.weather adj.ppl"""
_LEXNAMES = _LEXNAMES_TEXT.split()
_WORDNET_FILES = [f"{kind}.{pos}" for kind in ("data", "index") for pos in ("adj", "adv", "noun", "verb")] + [
    f"{pos}.exc" for pos in ("adj", "adv", "noun", "verb")
]


def _load_wordnet(cache_dir: Path | None = None):
    """nltk's WordNet reader, or None. The WordNet 3.0 files come from $SPIKETEXT_WORDNET, nltk's data folders
    or Debian's wordnet-base (/usr/share/wordnet); they are mirrored into the cache with the `lexnames` file
    nltk needs, in a folder nltk is told to trust."""
    import os

    try:
        import nltk
        from nltk.corpus.reader.wordnet import WordNetCorpusReader
    except ImportError:
        return None
    candidates = [os.environ.get("SPIKETEXT_WORDNET", ""), "/usr/share/wordnet"]
    candidates += [str(Path(p) / "corpora" / "wordnet") for p in nltk.data.path]
    source = next((Path(c) for c in candidates if c and (Path(c) / "data.noun").is_file()), None)
    if source is None:
        return None
    cache = cache_dir or Path(os.environ.get("SPIKETEXT_CACHE_DIR") or Path.home() / ".cache" / "spiketext")
    mirror = cache / "nltk_data" / "corpora" / "wordnet"
    try:
        if not (mirror / "lexnames").is_file():
            mirror.mkdir(parents=True, exist_ok=True)
            for name in _WORDNET_FILES:
                if (source / name).is_file() and not (mirror / name).is_file():
                    (mirror / name).write_bytes((source / name).read_bytes())
            pos = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
            lexnames = "".join(f"{i:02d}\t{n}\t{pos[n.split('.')[0]]}\n" for i, n in enumerate(_LEXNAMES))
            (mirror / "lexnames").write_text(lexnames, encoding="ascii")
        root = str(cache / "nltk_data")
        if root not in nltk.data.path:
            nltk.data.path.append(root)

        class _WordNet(WordNetCorpusReader):
            def map_wn(self, version: str = "wordnet"):  # the files are WordNet 3.0 itself: nothing to map
                return None

        with warnings.catch_warnings():  # "multilingual functions are not available": not used here
            warnings.simplefilter("ignore")
            return _WordNet(str(mirror), None)
    except Exception:  # noqa: BLE001 - any unreadable or partial WordNet means: use embedding neighbours
        return None


# --- the search ----------------------------------------------------------------------------------------------------


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


def _editable(tokens: list[str]) -> list[int]:
    return [i for i, w in enumerate(tokens) if w.isalpha() and w.lower() not in STOP_WORDS]


def _replace(tokens: list[str], i: int, word: str) -> list[str]:
    return tokens[:i] + [word] + tokens[i + 1 :]


UNK = "<unk>"


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


def _split_tokens(tokens: list[str]) -> list[str]:
    """A bug that inserts a space makes two tokens, as a tokenizer would."""
    return [piece for t in tokens for piece in t.split(" ")]


def attack_one(
    name: str,
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
            space.similarity(tokens, _split_tokens(perturbed)),
        )

    if pred0 != label:
        return result(tokens, pred0, [], skipped=True)
    positions = [i for i in _editable(tokens) if i < victim.bundle.encoder.max_len]  # the model reads L words
    budget = max(1, int(MAX_WORD_FRACTION * len(tokens)))
    if not positions:
        return result(tokens, pred0, [])

    # 1. rank the words
    if name in ("textfooler", "textbugger"):
        probe = [tokens[:i] + tokens[i + 1 :] for i in positions]
    else:
        probe = [_replace(tokens, i, UNK) for i in positions]
    drop = p0[label] - victim.probs(probe)[:, label]
    best_sub: dict[int, tuple[str, float]] = {}
    if name == "pwws":
        for i in positions:
            subs = space.synonyms(tokens[i])
            if subs:
                p = victim.probs([_replace(tokens, i, s) for s in subs])[:, label]
                j = int(p.argmin())
                best_sub[i] = (subs[j], float(p0[label] - p[j]))
        sal = np.exp(drop - drop.max())
        sal /= sal.sum()
        score = np.array([sal[k] * best_sub.get(i, ("", -math.inf))[1] for k, i in enumerate(positions)])
    else:
        score = drop
    order = [positions[k] for k in np.argsort(-score, kind="stable")]

    # 2. substitute greedily
    current, changed = list(tokens), []
    p_cur = p0
    for i in order:
        if len(changed) >= budget:
            break
        word = tokens[i]
        if name == "pwws":
            cands = [best_sub[i][0]] if i in best_sub else []
        elif name == "textfooler":
            cands = space.neighbours(word)
        elif name == "textbugger":
            cands = char_bugs(word, rng) + space.neighbours(word)[:1]
        else:
            cands = [random_char_edit(word, rng)]
        trials = [_replace(current, i, c) for c in cands]
        trials = [t for t in trials if space.similarity(tokens, _split_tokens(t)) >= MIN_SIMILARITY]
        if not trials:
            continue
        p = victim.probs([_split_tokens(t) for t in trials])
        flipped = [k for k in range(len(trials)) if p[k].argmax() != label]
        if flipped:
            k = max(flipped, key=lambda k: space.similarity(tokens, _split_tokens(trials[k])))
            return result(trials[k], int(p[k].argmax()), [*changed, i])
        k = int(p[:, label].argmin())
        if p[k, label] < p_cur[label] or name in ("pwws", "deepwordbug"):
            current, p_cur = trials[k], p[k]
            changed.append(i)
    return result(current, int(p_cur.argmax()), changed)


def summarize(results: list[AttackResult]) -> dict[str, Any]:
    """Clean and attacked accuracy, success rate, % words perturbed and queries (over attacked examples)."""
    n = len(results)
    attacked = [r for r in results if not r.skipped]
    success = [r for r in attacked if r.success]
    return {
        "n": n,
        "clean_acc": len(attacked) / n if n else 0.0,
        "attacked_acc": (len(attacked) - len(success)) / n if n else 0.0,
        "success_rate": len(success) / len(attacked) if attacked else 0.0,
        "perturbed_words_pct": float(np.mean([100 * len(r.changed) / len(r.original) for r in success]))
        if success
        else 0.0,
        "mean_queries": float(np.mean([r.queries for r in attacked])) if attacked else 0.0,
        "mean_similarity": float(np.mean([r.similarity for r in success])) if success else None,
    }


def run_attack(
    name: str,
    victim: Victim,
    space: WordSpace,
    examples: list[tuple[int, list[str], int]],
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, Any], list[AttackResult]]:
    """Attack every (index, tokens, label); character edits draw from a generator seeded per example."""
    if name not in ATTACKS:
        raise ValueError(f"unknown attack {name!r}; choose one of {', '.join(ATTACKS)}")
    results = []
    for n, (index, tokens, label) in enumerate(examples):
        rng = np.random.default_rng([seed, index])
        results.append(attack_one(name, victim, space, tokens, label, index, rng))
        if progress:
            progress(n + 1)
    return summarize(results), results


def write_examples_csv(path: Path, rows: list[tuple[str, AttackResult]], labels: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["model", "index", "label", "original", "perturbed", "status", "prediction", "changed_words",
                    "queries", "similarity"])  # fmt: skip
        for model, r in rows:
            status = "skipped (misclassified)" if r.skipped else "success" if r.success else "failed"
            w.writerow(
                [
                    model,
                    r.index,
                    labels[r.label],
                    " ".join(r.original),
                    " ".join(r.perturbed),
                    status,
                    labels[r.final_pred],
                    "; ".join(f"{r.original[i]} -> {r.perturbed[i]}" for i in r.changed if i < len(r.perturbed)),
                    r.queries,
                    f"{r.similarity:.3f}",
                ]
            )
    tmp.replace(path)
