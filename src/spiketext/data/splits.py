"""Seeded, stratified splits (docs/design.md §1.5).

Where a data set has no official split: within every class, a seeded permutation puts round(10%) of the
examples in test, then round(10%) of the rest in dev. A split is a pure function of (labels, fractions, seed):
the same inputs give the same indices on any machine (numpy's PCG64 generator). Indices come back sorted, so
every split keeps the file order (attacks take "the first N test examples in file order").
"""

from __future__ import annotations

import hashlib

import numpy as np


def stratified_split(labels: np.ndarray, fraction: float, seed: int, stream: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split positions 0..N-1 into (rest, held_out), taking round(fraction · n_c) of every class c.

    labels: [N] int. `stream` separates independent draws from one seed (test split 0, dev split 1).
    Returns two sorted int64 index arrays that partition 0..N-1.
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream])))
    held = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        k = int(round(fraction * len(idx)))
        held.append(rng.permutation(idx)[:k])
    held_out = np.sort(np.concatenate(held)) if held else np.zeros(0, dtype=np.int64)
    mask = np.ones(len(labels), dtype=bool)
    mask[held_out] = False
    return np.flatnonzero(mask).astype(np.int64), held_out.astype(np.int64)


def indices_digest(indices: np.ndarray) -> str:
    """Short sha256 of an index array: recorded with a run so a split can be checked later."""
    return hashlib.sha256(np.asarray(indices, dtype=np.int64).tobytes()).hexdigest()[:16]
