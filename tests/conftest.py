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


@pytest.fixture
def read_only():
    """make(folder): bind-mount `folder` read-only over itself (unmounted afterwards); skips where mounting is not
    allowed (it needs root, as CI and the development machines have)."""
    import subprocess

    mounted: list[Path] = []

    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for cmd in (["mount", "--bind", str(folder), str(folder)], ["mount", "-o", "remount,ro,bind", str(folder)]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                if mounted or cmd[1] == "-o":
                    subprocess.run(["umount", str(folder)], capture_output=True)
                pytest.skip(f"cannot mount a read-only folder here ({r.stderr.strip() or r.returncode})")
            if cmd[1] == "--bind":
                mounted.append(folder)
        return folder

    yield make
    for folder in reversed(mounted):
        subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A finished tiny run (run folder, data file, vectors file), made once; copy it before changing it."""
    from spiketext.cli import main

    folder = tmp_path_factory.mktemp("finished")
    data, vectors = write_tiny_task(folder)
    out = folder / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), *TINY]
    old = os.environ.get("SPIKETEXT_CACHE_DIR")
    os.environ["SPIKETEXT_CACHE_DIR"] = str(folder / "cache")
    try:
        assert main([*argv, "--set", "cnn.epochs=2", "--set", "finetune.epochs=1"]) == 0
    finally:
        if old is None:
            os.environ.pop("SPIKETEXT_CACHE_DIR", None)
        else:
            os.environ["SPIKETEXT_CACHE_DIR"] = old
    return out, data, vectors


def copy_run(finished: tuple[Path, Path, Path], dest: Path) -> tuple[Path, Path, Path]:
    """A private copy of the finished run with its own data and vectors files (config.json pointed at them)."""
    import json
    import shutil

    out, data, vectors = finished
    dest.mkdir(parents=True, exist_ok=True)
    new_out = dest / "run"
    shutil.copytree(out, new_out)
    new_data, new_vectors = dest / data.name, dest / vectors.name
    shutil.copy(data, new_data)
    shutil.copy(vectors, new_vectors)
    for name in ("config.json", "inputs.json"):
        text = (new_out / name).read_text()
        text = text.replace(json.dumps(str(data))[1:-1], json.dumps(str(new_data))[1:-1])
        text = text.replace(json.dumps(str(vectors))[1:-1], json.dumps(str(new_vectors))[1:-1])
        (new_out / name).write_text(text)
    return new_out, new_data, new_vectors


# Fixtures that run `spiketext run` end to end on tiny data: a test that uses one is an end-to-end test.
END_TO_END_FIXTURES = {"finished_run", "tiny_task"}


def pytest_collection_modifyitems(config, items):
    """Mark every end-to-end test slow, so that `-m "not slow"` runs the unit tests alone."""
    for item in items:
        if END_TO_END_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
