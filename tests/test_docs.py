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


def _readme_blocks() -> list[tuple[str, str]]:
    """(the marker above it, the code) of every fenced block in the README."""
    text = (REPO / "README.md").read_text()
    return re.findall(r"(?:<!-- docs-test: ([^>]*) -->\n)?```(?:bash|python)?\n(.*?)```", text, flags=re.S)


def test_every_readme_code_block_runs_in_this_test_or_says_why_not():
    for marker, code in _readme_blocks():
        assert marker.startswith(("run", "illustrative (")), f"a README block has no docs-test marker:\n{code}"


@pytest.mark.slow
def test_the_readme_blocks_marked_run_run():
    """Each command of a block marked `run`, as a user types it (spiketext from the venv), exits 0."""
    blocks = [code for marker, code in _readme_blocks() if marker == "run"]
    assert blocks
    for code in blocks:
        for line in filter(None, (x.strip() for x in code.splitlines())):
            argv = [sys.executable, "-m", "spiketext.cli", *__import__("shlex").split(line)[1:]]
            assert line.startswith(".venv/bin/spiketext "), line
            r = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, f"{line}\n{r.stderr}"
