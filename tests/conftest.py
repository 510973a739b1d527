"""Shared fixtures: tiny synthetic data and vectors, and the published data sets when ../shared/data is present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SPIKETEXT_DATA_DIR") or REPO.parent / "shared" / "data")

# Tiny settings for end-to-end runs on the tiny task (T = 8, 8 filters, fp32, 2 test draws).
TINY = [
    "--set",
    "snn.num_steps=8",
    "--set",
    "model.num_filters=8",
    "--set",
    "cnn.lr=0.01",
    "--set",
    "finetune.lr=0.003",
    "--set",
    "test_repeats=2",
    "--precision",
    "fp32",
]

# Five words, D = 2: hand-checkable μ and σ (see test_embeddings.py).
FIVE_WORDS = "good 1.0 2.0\nbad -1.0 0.0\nfilm 0.0 0.0\ngreat 3.0 1.0\nawful -3.0 -1.0\n"


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "sst2").is_dir():
        pytest.skip(f"published data sets not found at {SHARED_DATA} (set SPIKETEXT_DATA_DIR)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Never touch the user's ~/.cache: every test gets its own cache directory."""
    monkeypatch.setenv("SPIKETEXT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def five_word_vectors(tmp_path) -> Path:
    path = tmp_path / "five.txt"
    path.write_text(FIVE_WORDS, encoding="utf-8")
    return path


@pytest.fixture
def review_csv(tmp_path) -> Path:
    """A small English CSV with string labels, 3 classes, 20 rows each."""
    rows = ["id,review,sentiment"]
    words = {"pos": "good great film", "neg": "bad awful film", "mixed": "good bad film"}
    for i in range(60):
        label = ("pos", "neg", "mixed")[i % 3]
        rows.append(f'{i},"{words[label]} number {i}, really",{label}')
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def write_tiny_task(folder: Path, n: int = 200, seed: int = 0) -> tuple[Path, Path]:
    """A separable English task (CSV, string labels) and 8-d vectors for its 13 words."""
    import random

    import numpy as np

    rnd = random.Random(seed)
    pos, neg = ["good", "great", "fine", "wonderful"], ["bad", "awful", "dull", "boring"]
    fill = ["film", "movie", "the", "a", "plot"]
    rows = ["text,label"]
    for i in range(n):
        label = "pos" if i % 2 else "neg"
        words = rnd.sample(fill, 3) + rnd.sample(pos if label == "pos" else neg, 2)
        rnd.shuffle(words)
        rows.append(f"{' '.join(words)},{label}")
    data = folder / "tiny.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rng = np.random.default_rng(seed)
    vectors = folder / "vectors.txt"
    vectors.write_text(
        "".join(w + " " + " ".join(f"{v:.4f}" for v in rng.normal(size=8)) + "\n" for w in pos + neg + fill),
        encoding="utf-8",
    )
    return data, vectors


@pytest.fixture
def tiny_task(tmp_path) -> tuple[Path, Path]:
    return write_tiny_task(tmp_path)
