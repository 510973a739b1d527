"""The README stays a front door, its links resolve, and every generated table in it and in docs/ is current."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO


def test_readme_is_short_and_its_links_resolve():
    text = (REPO / "README.md").read_text()
    assert len(text.splitlines()) <= 300
    for link in re.findall(r"\]\(((?:docs|benchmarks)/[^)#]+)\)", text):
        assert (REPO / link).is_file(), link
    for doc in (REPO / "docs").glob("*.md"):
        for link in re.findall(r"\]\(([^)#:]+\.md)\)", doc.read_text()):
            assert (doc.parent / link).is_file() or (REPO / link).is_file(), f"{doc.name}: {link}"


@pytest.mark.slow
def test_generated_tables_are_current():
    r = subprocess.run([sys.executable, "benchmarks/readme_tables.py", "--check"], cwd=REPO, capture_output=True)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
