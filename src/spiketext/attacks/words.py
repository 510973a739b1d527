"""Word resources for the attacks: stop words, embedding neighbours, sentence similarity, WordNet synonyms.

WordNet comes through nltk over the WordNet 3.0 files of $SPIKETEXT_WORDNET, nltk's data folders or Debian's
wordnet-base, mirrored into spiketext's cache. nltk ≥ 3.10 reads corpora only below the folders of
`nltk.data.path`, so the mirror's `nltk_data` folder is appended there (an extra search location, nothing else).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from spiketext.io import atomic_write_bytes, atomic_write_text

MAX_CANDIDATES = 15
NEIGHBOUR_COSINE = 0.5

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

    @property
    def pos_check(self) -> str:
        """What checks a substitute's part of speech (the report says it)."""
        if self._wordnet is None:
            return "none (WordNet not installed: no part-of-speech source offline)"
        return "WordNet: a substitute must share a part of speech with the word where WordNet knows both"

    def pos(self, word: str) -> set[str]:
        """The parts of speech WordNet gives `word` (n, v, a, r; satellite adjectives as a); empty: unknown."""
        if self._wordnet is None:
            return set()
        return {"a" if s.pos() == "s" else s.pos() for s in self._wordnet.synsets(word.lower())}

    def same_pos(self, word: str, candidate: str) -> bool:
        a, b = self.pos(word), self.pos(candidate)
        return not a or not b or bool(a & b)

    def neighbours(self, word: str) -> list[str]:
        """Up to 15 nearest words (cosine ≥ 0.5) among the most frequent alphabetic words, nearest first; with
        WordNet, only those sharing a part of speech with the word (where WordNet knows both)."""
        key = word.lower()
        if key not in self._neighbours:
            i = self.index.get(key)
            if i is None:
                self._neighbours[key] = []
            else:
                cos = self.pool_unit @ self.unit[i]
                top = np.argsort(-cos)[: 3 * MAX_CANDIDATES + 1]
                self._neighbours[key] = [
                    self.words[self.pool[j]]
                    for j in top
                    if cos[j] >= NEIGHBOUR_COSINE
                    and self.words[self.pool[j]] != key
                    and self.same_pos(key, self.words[self.pool[j]])
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
            names = [n for n in names if n != key and n in self.index]
            # the 15 closest in the embedding space (not the first 15 alphabetically), ties by spelling
            i = self.index.get(key)
            cos = {n: float(self.unit[self.index[n]] @ self.unit[i]) if i is not None else 0.0 for n in names}
            self._synonyms[key] = sorted(names, key=lambda n: (-cos[n], n))[:MAX_CANDIDATES]
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
    nltk needs, and read from there."""
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
                    atomic_write_bytes(mirror / name, (source / name).read_bytes())
            pos = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
            lexnames = "".join(f"{i:02d}\t{n}\t{pos[n.split('.')[0]]}\n" for i, n in enumerate(_LEXNAMES))
            atomic_write_text(mirror / "lexnames", lexnames)

        root = str(cache / "nltk_data")
        if root not in nltk.data.path:  # nltk ≥ 3.10 refuses corpus folders outside its data path
            nltk.data.path.append(root)

        class _WordNet(WordNetCorpusReader):
            def map_wn(self, version: str = "wordnet"):  # the files are WordNet 3.0 itself: nothing to map
                return None

        with warnings.catch_warnings():  # "multilingual functions are not available": not used here
            warnings.simplefilter("ignore")
            return _WordNet(str(mirror), None)
    except Exception:  # noqa: BLE001 - any unreadable or partial WordNet means: use embedding neighbours
        return None
