"""The reviewer-standard robustness table (issue 39) from benchmarks/results/robustness/reviewer/: per model family,
data set and attack, each victim's success rate (majority of 15 evaluation draws; and by one draw, the deployed
inference) as mean ± std over the trained seeds, and each victim's difference from the reference (the CNN, or the
transformer's ANN) with a 95% interval from a hierarchical bootstrap (seeds, then the shared examples within each
seed), the exact McNemar p of every seed, and how often the reference's successful adversarial sentences fool each
other victim (transfer).

    python benchmarks/robustness/reviewer_table.py        # prints, and writes reviewer_table.{md,json} beside them
"""

from __future__ import annotations

import csv
import gzip
import json
import statistics
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1] / "results" / "robustness" / "reviewer"
REFERENCES = ("cnn", "ann")


def outcomes(folder: Path, attack: str) -> dict[str, dict[int, bool]]:
    """{victim: {example index: fooled}} of one attack's CSV (attacked examples only)."""
    out: dict[str, dict[int, bool]] = {}
    with gzip.open(folder / f"attack_{attack}.csv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["status"].startswith("skipped"):
                continue
            out.setdefault(row["model"], {})[int(row["index"])] = row["status"].startswith("success")
    return out


def bootstrap_difference(seeds: list[tuple[np.ndarray, np.ndarray]], reps: int = 4000, seed: int = 0) -> tuple:
    """Mean over seeds of (victim − reference) success, in points, and its 95% interval: seeds resampled, then each
    chosen seed's shared examples (pairs kept together)."""
    rng = np.random.default_rng(seed)
    point = 100 * statistics.fmean(float(v.mean() - r.mean()) for r, v in seeds)
    draws = []
    for _ in range(reps):
        picks = rng.integers(len(seeds), size=len(seeds))
        diffs = []
        for k in picks:
            r, v = seeds[k]
            i = rng.integers(len(r), size=len(r))
            diffs.append(v[i].mean() - r[i].mean())
        draws.append(100 * float(np.mean(diffs)))
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return point, float(lo), float(hi)


def collect() -> dict:
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for report in sorted(ROOT.glob("*/attack_*.json")):
        kind, dataset, seed = report.parent.name.rsplit("_", 2)
        r = json.loads(report.read_text())
        r["_folder"], r["_seed"] = report.parent, seed
        groups.setdefault((kind, dataset, r["attack"]), []).append(r)
    table = {}
    for (kind, dataset, attack), runs in groups.items():
        victims = runs[0]["victims"]
        ref = next((v for v in REFERENCES if v in victims), victims[0])
        rows = {}
        for v in victims:
            rates = [100 * r[v]["success_rate"] for r in runs]
            single = [100 * r[v].get("single_draw_success_rate", r[v]["success_rate"]) for r in runs]
            row = {"success": rates, "single_draw": single, "clean": [100 * r[v]["clean_acc"] for r in runs],
                   "queries": [r[v]["mean_queries"] for r in runs], "seconds": [r[v]["seconds"] for r in runs],
                   "n": [r[v]["attacked"] for r in runs]}  # fmt: skip
            if v != ref:
                paired = []
                for r in runs:
                    o = outcomes(r["_folder"], attack)
                    ids = sorted(set(o[ref]) & set(o[v]))
                    paired.append((np.array([o[ref][i] for i in ids]), np.array([o[v][i] for i in ids])))
                row["difference"] = bootstrap_difference(paired)
                row["mcnemar_p"] = [r.get("comparisons", {}).get(v, {}).get("p_value") for r in runs]
                # the reference's successful adversarial sentences replayed on this victim: a victim the attack
                # fools less often directly, yet these fool, is harder to search (e.g. a weaker gradient), not robust
                row["transfer"] = [100 * r["transfer"][v]["rate"] for r in runs if v in r.get("transfer", {})]
            rows[v] = row
        table[f"{kind} {dataset} {attack}"] = {"reference": ref, "seeds": [r["_seed"] for r in runs],
                                                "draws_per_query": runs[0].get("search", {}).get("draws_per_query"),
                                                "victims": rows}  # fmt: skip
    return table


def _ms(values: list[float], digits: int = 1) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.fmean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def markdown(table: dict) -> str:
    head = "| models, data set, attack | seeds | victim | clean (%) | success (%) | one draw (%) | − reference (pts, "
    head += "95% CI) | McNemar p per seed | fooled by the reference's successes (%) | queries |"
    lines = [head, "|---|---:|---|---:|---:|---:|---|---|---:|---:|"]
    for key, t in table.items():
        for v, row in t["victims"].items():
            diff = "reference" if "difference" not in row else "{:+.1f} [{:+.1f}, {:+.1f}]".format(*row["difference"])
            ps = ", ".join("–" if p is None else f"{p:.2g}" for p in row.get("mcnemar_p", [])) or "–"
            moved = _ms(row["transfer"]) if row.get("transfer") else "–"
            lines.append(f"| {key} | {len(t['seeds'])} | {v} | {_ms(row['clean'])} | {_ms(row['success'])} | "
                         f"{_ms(row['single_draw'])} | {diff} | {ps} | {moved} | "
                         f"{_ms(row['queries'], 0)} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    table = collect()
    md = markdown(table)
    print(md)
    (ROOT / "reviewer_table.md").write_text(md + "\n")
    (ROOT / "reviewer_table.json").write_text(json.dumps(table, indent=1) + "\n")


if __name__ == "__main__":
    main()
