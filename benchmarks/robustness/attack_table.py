"""The README's robustness tables from attack result folders.

    python benchmarks/robustness/attack_table.py [FOLDER ...] [--json FILE]

A FOLDER holds seed{S}/attack_{NAME}.json files (`benchmarks/robustness/attack_runs.py`); default: every folder under
benchmarks/results/attacks/v2. For each attack: clean accuracy, accuracy under attack and success rate of the CNN
and the SNN as mean ± std over victim seeds (population std), the SNN − CNN success-rate difference paired by
seed (mean ± std), and for the SNN the share of the search's own flips that the evaluation draws confirm.
A folder of the first version (benchmarks/results/attacks/{sst2,mr}: attack_{NAME}.json at its top, one frozen
draw, word-vector similarity) reads as one seed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1] / "results" / "attacks"
ATTACKS = ("textfooler", "bertattack", "pso", "pwws", "textbugger", "deepwordbug")


def pm(values: list[float], scale: float = 100.0) -> str:
    v = scale * np.asarray(values, dtype=float)
    return f"{v.mean():.1f} ± {v.std():.1f}" if len(v) > 1 else f"{v.mean():.1f}"


def folder_rows(folder: Path) -> tuple[list[str], dict]:
    rows, table = [], {}
    runs = {}
    for path in sorted(folder.glob("seed*/attack_*.json")) or sorted(folder.glob("attack_*.json")):
        r = json.loads(path.read_text())
        runs.setdefault(r["attack"], []).append(r)
    for name in [a for a in ATTACKS if a in runs]:
        rs = runs[name]
        models = [m for m in ("cnn", "snn") if all(m in r for r in rs)]
        cell: dict = {"seeds": [r["seed"] for r in rs], "n": rs[0]["n"], "similarity": rs[0]["similarity"]}
        for m in models:
            cell[m] = {
                k: [r[m][k] for r in rs]
                for k in ("clean_acc", "attacked_acc", "success_rate", "mean_queries", "seconds")
            }
            # the first version had no verdict: its search's flips were its successes
            cell[m]["search_success_rate"] = [r[m].get("search_success_rate", r[m]["success_rate"]) for r in rs]
            cell[m]["victim"] = rs[0][m]["victim"]
        if len(models) == 2:
            diff = [r["snn"]["success_rate"] - r["cnn"]["success_rate"] for r in rs]
            cell["snn_minus_cnn"] = diff
        table[name] = cell
        subs = f" ({rs[0]['substitutes']})" if rs[0].get("substitutes") else ""
        c, s = cell.get("cnn"), cell.get("snn")
        line = f"| {folder.name} | {name}{subs} | {len(rs)} | {rs[0]['n']} | "
        line += f"{pm(c['clean_acc'])} / {pm(c['attacked_acc'])} / **{pm(c['success_rate'])}** | " if c else "– | "
        if s:
            conf = [
                a / b if b else float("nan") for a, b in zip(s["success_rate"], s["search_success_rate"], strict=True)
            ]
            judged = all("search_success_rate" in r["snn"] for r in rs)
            line += f"{pm(s['clean_acc'])} / {pm(s['attacked_acc'])} / **{pm(s['success_rate'])}** | "
            line += f"{pm(conf)} | " if judged else "not judged (frozen draw) | "
        else:
            line += "– | – | "
        line += f"{pm(cell['snn_minus_cnn'])} | " if "snn_minus_cnn" in cell else "– | "
        q = " / ".join(f"{np.mean(cell[m]['mean_queries']):.0f}" for m in models)
        sec = " / ".join(f"{np.mean(cell[m]['seconds']):.0f}" for m in models)
        rows.append(line + f"{q} | {sec} |")
    return rows, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="*")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    folders = [Path(f) for f in args.folders] or sorted(p for p in (ROOT / "v2").iterdir() if p.is_dir())
    print(
        "| run | attack | seeds | N | CNN clean / attacked / success % | SNN clean / attacked / success % | "
        "SNN flips confirmed | SNN − CNN success (points) | queries (CNN / SNN) | seconds (CNN / SNN) |"
    )
    print("|---|---|---:|---:|---|---|---:|---:|---:|---:|")
    out = {}
    for folder in folders:
        rows, table = folder_rows(folder)
        print("\n".join(rows))
        out[folder.name] = table
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
