"""Refresh the README's generated tables from the committed result files.

    python benchmarks/readme_tables.py [--check]

Each table sits between `<!-- table:NAME -->` and `<!-- /table:NAME -->` in README.md and is the output of one
benchmark script over committed files (NAME: method, energy, frontier). `--check` exits 1 if any is stale.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {
    "method": ["benchmarks/method_table.py", "--json", "/dev/null", "--md", "/dev/null"],
    "energy": ["benchmarks/energy_table.py"],
    "frontier": ["benchmarks/frontier_table.py"],
}


def render(name: str) -> str:
    out = subprocess.run([sys.executable, *SOURCES[name]], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a table in README.md is not current")
    args = ap.parse_args()
    readme = (ROOT / "README.md").read_text()
    new = readme
    for name in SOURCES:
        pattern = re.compile(rf"(<!-- table:{name} -->\n)(?:.*?\n)?(<!-- /table:{name} -->)", re.S)
        if pattern.search(new):
            new = pattern.sub(lambda m, name=name: m.group(1) + render(name) + "\n" + m.group(2), new)
    if args.check:
        sys.exit(0 if new == readme else 1)
    (ROOT / "README.md").write_text(new)


if __name__ == "__main__":
    main()
