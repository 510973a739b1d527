"""Paired statistics for comparing two models on the same examples: McNemar's exact test and a bootstrap
interval of the difference of two rates. Written here (a dozen lines of numpy and math.comb) because scipy is
not a dependency of spiketext; tests check both against hand-computed values."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairedComparison:
    """Two models' 0/1 outcomes on the same n examples: rates, their difference with a bootstrap 95% interval,
    and McNemar's exact test on the discordant pairs (b: only A, c: only B)."""

    n: int
    rate_a: float
    rate_b: float
    diff: float  # rate_b − rate_a
    ci_low: float
    ci_high: float
    only_a: int
    only_b: int
    p_value: float


def sample_std(values) -> float:
    """The sample standard deviation (ddof = 1, Bessel's correction) of a few seeds' or draws' values; 0 for one.
    Every "±" spiketext prints is this one."""
    v = np.asarray(list(values), dtype=np.float64)
    return float(v.std(ddof=1)) if v.size > 1 else 0.0


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: P(X <= min(b, c)) doubled, X ~ Binomial(b + c, 1/2), capped at 1."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def bootstrap_diff(a: np.ndarray, b: np.ndarray, reps: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of mean(b) − mean(a) over `reps` resamples of the paired examples (seeded)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(reps, len(a)))
    diffs = b[idx].mean(1) - a[idx].mean(1)
    return float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))


def compare_paired(a: np.ndarray, b: np.ndarray, reps: int = 2000, seed: int = 0) -> PairedComparison:
    """A and B's 0/1 outcomes [n] on the same examples -> their paired comparison."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"paired outcomes of different lengths: {a.shape} and {b.shape}")
    low, high = bootstrap_diff(a, b, reps, seed)
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    n = len(a)
    return PairedComparison(
        n, float(a.mean()) if n else 0.0, float(b.mean()) if n else 0.0,
        float(b.mean() - a.mean()) if n else 0.0, low, high, only_a, only_b, mcnemar_exact(only_a, only_b),
    )  # fmt: skip
