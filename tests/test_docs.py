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
    for doc in (REPO / "docs").rglob("*.md"):
        for link in re.findall(r"\]\(([^)#:]+\.(?:md|png))\)", doc.read_text()):
            assert (doc.parent / link).is_file(), f"{doc.relative_to(REPO)}: {link}"


def test_no_path_outside_the_repository_in_readme_docs_or_docstrings():
    """The repository stands alone: no README, doc or docstring points at ../shared or a design file outside it."""
    files = [REPO / "README.md", *(REPO / "docs").rglob("*.md"), *(REPO / "src").rglob("*.py")]
    bad = [str(f.relative_to(REPO)) for f in files if re.search(r"\.\./shared|DESIGN\.md", f.read_text())]
    assert not bad, bad


def test_the_readmes_setup_command_is_in_its_first_30_lines():
    head = (REPO / "README.md").read_text().splitlines()[:30]
    assert any("scripts/setup.sh" in line for line in head)


@pytest.mark.slow
def test_generated_tables_are_current():
    r = subprocess.run(
        [sys.executable, "benchmarks/reproduce/readme_tables.py", "--check"], cwd=REPO, capture_output=True
    )
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
