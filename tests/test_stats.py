"""Paired statistics against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from spiketext.stats import bootstrap_diff, compare_paired, mcnemar_exact


def test_mcnemar_exact_known_values():
    assert mcnemar_exact(0, 0) == 1.0
    # b = 1, c = 4: P(X <= 1) for Binomial(5, 1/2) = (1 + 5) / 32, doubled
    assert mcnemar_exact(1, 4) == pytest.approx(12 / 32)
    assert mcnemar_exact(4, 1) == mcnemar_exact(1, 4)
    # b = 0, c = 6: 2 / 64
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert mcnemar_exact(5, 5) == 1.0


def test_paired_comparison_counts_and_interval():
    a = np.array([1, 1, 0, 0, 1, 0, 0, 0], dtype=bool)
    b = np.array([1, 0, 0, 0, 0, 0, 0, 0], dtype=bool)
    c = compare_paired(a, b, reps=4000, seed=1)
    assert (c.n, c.only_a, c.only_b) == (8, 2, 0)
    assert c.rate_a == 3 / 8 and c.rate_b == 1 / 8 and c.diff == pytest.approx(-0.25)
    assert c.ci_low <= c.diff <= c.ci_high and c.ci_high <= 0  # b never fooled where a was not
    assert compare_paired(a, b, seed=1) == compare_paired(a, b, seed=1)  # seeded
    assert bootstrap_diff(a, a) == (0.0, 0.0)
    with pytest.raises(ValueError):
        compare_paired(a, b[:3])
