"""Every hostile-input case of tests/hostile.py (issue 24) ends in a clear error or a correct result."""

from __future__ import annotations

import pytest

from hostile import CASES, Env, run_case


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Env:
    return Env(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=pytest.mark.slow) if c.slow else c for c in CASES], ids=[c.name for c in CASES]
)
def test_hostile_case(case, env):
    outcome = run_case(case, env)
    assert outcome.ok, f"{case.name}: {outcome.kind}: {outcome.detail}"
