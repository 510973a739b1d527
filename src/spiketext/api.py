"""The Python API: one function per pipeline stage. The only place that unpacks a configuration.

from spiketext import api
from spiketext.config import DataConfig
data = api.load_data(DataConfig(dataset="sst2"))        # tokens, vocabulary, positive embeddings, ids
for x, y in api.batches(data, "train", batch_size=32, seed=0):   # x [B, D, L], y [B]
    ...
print(api.describe_data(DataConfig(dataset="mr")))
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from spiketext.config import DataConfig
from spiketext.data.batching import iterate_batches
from spiketext.data.corpus import Corpus, load_builtin, load_files
from spiketext.data.describe import describe
from spiketext.data.prepare import PreparedData, prepare
from spiketext.data.sources import DATASETS, locate_files

__all__ = ["batches", "describe_data", "fetch_dataset", "load_corpus", "load_data"]


def load_corpus(cfg: DataConfig) -> Corpus:
    """Raw texts and class ids for train/dev/test, from a built-in data set or your own files."""
    if cfg.dataset is not None:
        return load_builtin(
            DATASETS[cfg.dataset],
            cfg.resolved_data_dir(),
            cfg.resolved_cache_dir(),
            cfg.split_seed,
            cfg.test_fraction,
            cfg.dev_fraction,
        )
    return load_files(
        cfg.train,  # type: ignore[arg-type]
        cfg.dev,
        cfg.test,
        encoding=cfg.encoding,
        text_column=cfg.text_column,
        label_column=cfg.label_column,
        split_seed=cfg.split_seed,
        test_fraction=cfg.test_fraction,
        dev_fraction=cfg.dev_fraction,
    )


def load_data(cfg: DataConfig, seed: int = 0) -> PreparedData:
    """Corpus -> tokens, training vocabulary, positive embedding table [V, D] and ids [N, L] per split.

    `seed` seeds anything trained from the data (skip-gram vectors for Chinese).
    """
    corpus = load_corpus(cfg)
    return prepare(
        corpus,
        embeddings=cfg.embeddings,
        cache_dir=cfg.resolved_cache_dir(),
        language=cfg.resolved_language(),
        max_len=cfg.max_len,
        clip=cfg.clip,
        skipgram_dim=cfg.skipgram_dim,
        skipgram_epochs=cfg.skipgram_epochs,
        skipgram_window=cfg.skipgram_window,
        skipgram_min_count=cfg.skipgram_min_count,
        seed=seed,
    )


def describe_data(cfg: DataConfig) -> dict:
    """Sizes, class counts, token lengths, L and OOV rates (see `spiketext.data.describe.describe`)."""
    return describe(load_data(cfg))


def fetch_dataset(name: str, cfg: DataConfig | None = None) -> dict[str, str]:
    """Make sure a built-in data set's files are local (downloading and checking them); returns their paths."""
    cfg = cfg or DataConfig(dataset=name)
    paths = locate_files(DATASETS[name], cfg.resolved_data_dir(), cfg.resolved_cache_dir())
    return {k: str(v) for k, v in paths.items()}


def batches(
    data: PreparedData,
    split: str,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(x [B, D, L] positive embeddings, y [B]) for one split, gathered batch by batch (never the whole set).

    With `shuffle`, the order is a permutation drawn from a generator seeded with `seed`.
    """
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    table = torch.from_numpy(data.embeddings)
    return iterate_batches(
        data.ids[split],
        data.corpus.splits[split].labels,
        table,
        batch_size,
        shuffle=shuffle,
        generator=generator,
    )
