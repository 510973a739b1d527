"""Refresh the generated tables of README.md and docs/**/*.md from the committed result files.

    python benchmarks/reproduce/readme_tables.py [--check]

Each table sits between `<!-- table:NAME -->` and `<!-- /table:NAME -->` in README.md or a file of docs/ and is
the output of one benchmark script over committed files (NAME: method, summary, energy, energy_story, frontier,
frontier_select, robustness, robustness_detail, robustness_draws, robustness_energy, transformer,
robustness_reviewer). `--check` exits 1 if any
is stale (and names the files).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "method": ["benchmarks/reproduce/method_table.py", "--json", "/dev/null", "--md", "/dev/null"],
    "summary": ["benchmarks/reproduce/method_table.py", "--summary"],
    "energy": ["benchmarks/energy/energy_table.py"],
    "energy_story": ["benchmarks/energy/energy_table.py", "--story"],
    "frontier": ["benchmarks/energy/frontier_table.py"],
    "frontier_select": ["benchmarks/energy/frontier_table.py", "--select"],
    "robustness": ["benchmarks/robustness/robustness_table.py"],
    "robustness_detail": ["benchmarks/robustness/robustness_table.py", "--detail"],
    "robustness_draws": ["benchmarks/robustness/robustness_table.py", "--draws"],
    "robustness_energy": ["benchmarks/robustness/robustness_energy.py"],
    "transformer": ["benchmarks/reproduce/transformer_table.py"],
    "robustness_reviewer": ["benchmarks/robustness/reviewer_table.py"],
}


def render(name: str) -> str:
    out = subprocess.run([sys.executable, *SOURCES[name]], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a generated table is not current")
    args = ap.parse_args()
    paths = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    texts = {path: path.read_text() for path in paths}
    used = [name for name in SOURCES if any(f"<!-- table:{name} -->" in t for t in texts.values())]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # each table is its own process
        rendered = dict(zip(used, pool.map(render, used), strict=True))
    stale = []
    for path, text in texts.items():
        new = text
        for name in used:
            pattern = re.compile(rf"(<!-- table:{name} -->\n)(?:.*?\n)?(<!-- /table:{name} -->)", re.S)
            new = pattern.sub(lambda m, name=name: m.group(1) + rendered[name] + "\n" + m.group(2), new)
        if new != text:
            stale.append(str(path.relative_to(ROOT)))
            if not args.check:
                path.write_text(new)
    if args.check and stale:
        print(f"stale generated tables in: {', '.join(stale)}; run python benchmarks/reproduce/readme_tables.py")
        sys.exit(1)


if __name__ == "__main__":
    main()
