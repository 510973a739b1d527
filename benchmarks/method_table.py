"""Build the README's results table from run folders (default: the committed runs in benchmarks/results/method).

    python benchmarks/method_table.py [RUNS_DIR] [--json FILE]

The table is `spiketext.reproduce.method_table` (see its docstring); `spiketext reproduce` writes it as well.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from spiketext.reproduce import method_markdown, method_table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="?", default=str(Path(__file__).parent / "results" / "method"))
    ap.add_argument("--json", help="also write the table as JSON")
    args = ap.parse_args()
    table = method_table(Path(args.runs))
    print(method_markdown(table))
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
