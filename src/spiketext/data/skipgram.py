"""Skip-gram vectors trained on a data set's own training text (gensim Word2Vec): the offline stand-in where no
pretrained vectors ship (Chinese; docs/design.md §1.1: never dev or test text), cached under a key of the corpus and
every setting. Written with gensim, the library made for it; one worker, so a seed fixes the result."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from pathlib import Path

import numpy as np

from spiketext.data.embeddings import SKIPGRAM_DEVIATION, WordVectors, _atomic_save, _load_cached
from spiketext.settings.config import DEFAULT_SKIPGRAM, TRAINED_EMBEDDINGS, SkipgramSettings

log = logging.getLogger(__name__)


def train_skipgram(
    token_lists: list[list[str]],
    cache_dir: Path,
    settings: SkipgramSettings = DEFAULT_SKIPGRAM,
    seed: int = 0,
) -> WordVectors:
    """Skip-gram vectors (gensim Word2Vec, sg=1, one worker so a seed fixes the result) on training text only.

    Cached under a key of the corpus and every setting, so repeated runs reuse one table.
    """
    params = {**asdict(settings), "seed": seed}
    h = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    for tokens in token_lists:
        h.update("\x1f".join(tokens).encode("utf-8"))
        h.update(b"\x1e")
    dest = cache_dir / "vectors" / f"skipgram-{h.hexdigest()[:16]}"
    deviation = SKIPGRAM_DEVIATION.format(dim=settings.dim)
    cached = _load_cached(dest, TRAINED_EMBEDDINGS, deviation)
    if cached is not None:
        return cached
    from gensim.models import Word2Vec

    log.info("training %dd skip-gram vectors on %d training texts (cached afterwards)", settings.dim, len(token_lists))
    model = Word2Vec(
        sentences=token_lists,
        vector_size=settings.dim,
        window=settings.window,
        min_count=settings.min_count,
        sg=1,
        workers=1,
        seed=seed,
        epochs=settings.epochs,
    )
    words, table = list(model.wv.index_to_key), np.asarray(model.wv.vectors, dtype=np.float32)
    if _atomic_save(dest, words, table, {"method": "gensim skip-gram", **params}):
        cached = _load_cached(dest, TRAINED_EMBEDDINGS, deviation)
        if cached is not None:
            return cached
    return WordVectors(TRAINED_EMBEDDINGS, words, table, deviation)
