"""The README's robustness table from benchmarks/results/attacks/<data set>/attack_<name>.json.

python benchmarks/attack_table.py [--json FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "results" / "attacks"
ATTACKS = ("textfooler", "pwws", "textbugger", "deepwordbug")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    rows, table = [], {}
    print("| data set | attack | model | clean acc | acc under attack | success rate | words changed | queries | s |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for ds in sorted(p.name for p in ROOT.iterdir() if p.is_dir()):
        for name in ATTACKS:
            path = ROOT / ds / f"attack_{name}.json"
            if not path.is_file():
                continue
            r = json.loads(path.read_text())
            note = f" ({r['substitutes']})" if r.get("substitutes") else ""
            for model in ("cnn", "snn"):
                m = r[model]
                table.setdefault(ds, {}).setdefault(name, {})[model] = {k: v for k, v in m.items() if k != "victim"}
                rows.append(
                    f"| {ds} | {name}{note} | {model.upper()} | {100 * m['clean_acc']:.1f} | "
                    f"{100 * m['attacked_acc']:.1f} | {100 * m['success_rate']:.1f} | "
                    f"{m['perturbed_words_pct']:.1f}% | {m['mean_queries']:.0f} | {m['seconds']:.0f} |"
                )
    print("\n".join(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=1) + "\n")


if __name__ == "__main__":
    main()
