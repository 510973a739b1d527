"""From a corpus to model inputs: tokens, training vocabulary, positive embedding table, fixed-length ids.

Nothing here is dense over the data set: ids are [N, L] int32; batches gather [B, D, L] rows on demand
(`spiketext.data.batching`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from spiketext.data.corpus import SPLITS, Corpus
from spiketext.data.embeddings import (
    PositiveTransform,
    WordVectors,
    embedding_matrix,
)
from spiketext.data.skipgram import train_skipgram
from spiketext.data.tokenize import detect_language, get_tokenizer
from spiketext.data.vector_files import load_vectors
from spiketext.data.vocab import Vocabulary
from spiketext.settings.config import TRAINED_EMBEDDINGS, DataConfig


@dataclass
class PreparedData:
    corpus: Corpus
    language: str
    tokens: dict[str, list[list[str]]]
    vocab: Vocabulary  # training words first (`train_vocab_size` of them), then dev/test words with vectors
    train_vocab_size: int
    vectors: WordVectors
    transform: PositiveTransform
    table: np.ndarray  # [V, D] float32 positive embeddings e⁺ of the vocabulary; row 0 (padding) = 0
    max_len: int  # L
    ids: dict[str, np.ndarray]  # split -> [N, L] int32

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])


def default_max_len(token_lists: list[list[str]]) -> int:
    """L for data without a published one: the 95th percentile of training lengths, at least 5 (largest kernel)."""
    lengths = np.array([len(t) for t in token_lists])
    return max(5, int(np.ceil(np.percentile(lengths, 95)))) if len(lengths) else 5


def prepare(corpus: Corpus, cfg: DataConfig, seed: int = 0) -> PreparedData:
    """Tokenize every split, build the training vocabulary, load or train vectors, and encode ids [N, L].

    `seed` seeds anything trained from the data (skip-gram vectors). `cfg.embeddings` None picks the language
    default (GloVe 6B 50d for English, skip-gram for Chinese).
    The vectors are frozen features, so a dev/test word outside the training vocabulary still gets its
    pretrained vector when the table has one; only words without a vector become the OOV vector (one rule for
    every split and for raw text at prediction time).
    """
    language = cfg.resolved_language() or corpus.language or detect_language(corpus.splits["train"].texts)
    tokenize = get_tokenizer(language)
    tokens = {s: [tokenize(t) for t in corpus.splits[s].texts] for s in SPLITS}
    vocab = Vocabulary.build(tokens["train"])
    cache_dir = cfg.resolved_cache_dir()
    name = cfg.embeddings or (TRAINED_EMBEDDINGS if language == "zh" else "glove-6b-50d")
    if name == TRAINED_EMBEDDINGS:
        vectors = train_skipgram(tokens["train"], cache_dir, cfg.skipgram, seed)
    else:
        vectors = load_vectors(name, cache_dir)
    train_vocab_size = len(vocab)
    vocab = vocab.extended(
        t for s in ("dev", "test") for ts in tokens[s] for t in ts if t not in vocab.stoi and t in vectors.index
    )
    transform = PositiveTransform.fit(vectors, cfg.clip, cfg.dead_zone)
    L = cfg.max_len or corpus.max_len or default_max_len(tokens["train"])
    return PreparedData(
        corpus=corpus,
        language=language,
        tokens=tokens,
        vocab=vocab,
        train_vocab_size=train_vocab_size,
        vectors=vectors,
        transform=transform,
        table=embedding_matrix(vocab, vectors, transform),
        max_len=L,
        ids={s: vocab.encode_many(tokens[s], L) for s in SPLITS},
    )


def raw_embedding_matrix(vocab: Vocabulary, vectors: WordVectors) -> np.ndarray:
    """[V, D] raw pretrained vectors (for the standard TextCNN): padding and words without a vector are 0."""
    matrix = np.zeros((len(vocab), vectors.dim), dtype=np.float32)
    rows = [(i, vectors.index[w]) for i, w in enumerate(vocab.itos) if i > 1 and w in vectors.index]
    if rows:
        ids, src = map(np.asarray, zip(*rows, strict=True))
        matrix[ids] = np.asarray(vectors.vectors[src], dtype=np.float32)
    return matrix


def with_random_embeddings(data: PreparedData, seed: int) -> PreparedData:
    """The same data with random N(0, 1) vectors (seeded) for every training word instead of pretrained ones.

    Dev/test words outside the training vocabulary have no random vector: they become the OOV vector, as a word
    without a pretrained vector does. The positive transform is refit on the random table.
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x52414E44])))
    words = data.vocab.itos[2 : data.train_vocab_size]
    vectors = WordVectors("random", words, rng.standard_normal((len(words), data.dim)).astype(np.float32))
    transform = PositiveTransform.fit(vectors, data.transform.clip, data.transform.dead_zone)
    return replace(data, vectors=vectors, transform=transform, table=embedding_matrix(data.vocab, vectors, transform))
