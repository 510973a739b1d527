"""A blind hand-labelled sample: do the attacks' "successes" keep their label? (issue 25)

`sample` draws K successful adversarial examples per victim from an attack CSV (seeded), shuffles them together
and writes two files: `sheet.csv` with only an id and the perturbed sentence (what the labeller reads: no
victim, no original, no gold label) and `key.csv` (id, victim, index, gold label, original). The labeller fills
`sheet.csv`'s `human` column with pos, neg or unclear. `score` joins the two and reports, per victim, how many
perturbed sentences a human still reads as the gold label, with a Wilson 95% interval.

    python benchmarks/robustness/hand_labels.py sample CSV.gz DIR [--victims cnn,snn] [--k 40] [--seed 0]
    python benchmarks/robustness/hand_labels.py score DIR [--out FILE.json]

The labels are binary sentiment (SST-2, MR: 0 negative, 1 positive).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import random
import sys
from pathlib import Path

NAMES = {"neg": 0, "pos": 1}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score 95% interval of k successes in n."""
    if n == 0:
        return (0.0, 1.0)
    p, d = k / n, 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (c - h, c + h)


def sample(path: str, dest: Path, victims: list[str], k: int, seed: int) -> None:
    with gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else open(path, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "success"]
    rng = random.Random(seed)
    chosen = []
    for v in victims:
        mine = [r for r in rows if r["model"].split(":")[0] == v]
        chosen += [(v, r) for r in rng.sample(mine, min(k, len(mine)))]
    rng.shuffle(chosen)
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / "sheet.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "perturbed", "human"])
        w.writerows([i, r["perturbed"], ""] for i, (_, r) in enumerate(chosen))
    with open(dest / "key.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "victim", "index", "label", "original", "changed_words"])
        w.writerows(
            [i, v, r["index"], r["label"], r["original"], r["changed_words"]] for i, (v, r) in enumerate(chosen)
        )
    (dest / "source.json").write_text(json.dumps({"csv": path, "victims": victims, "k": k, "seed": seed}) + "\n")


def score(dest: Path, out: str | None) -> None:
    with open(dest / "sheet.csv", encoding="utf-8") as f:
        human = {r["id"]: r["human"].strip() for r in csv.DictReader(f)}
    with open(dest / "key.csv", encoding="utf-8") as f:
        key = list(csv.DictReader(f))
    missing = [r["id"] for r in key if human.get(r["id"]) not in ("pos", "neg", "unclear")]
    if missing:
        sys.exit(f"{dest / 'sheet.csv'}: ids {', '.join(missing[:10])} have no label (write pos, neg or unclear)")
    report = {}
    for v in dict.fromkeys(r["victim"] for r in key):
        mine = [r for r in key if r["victim"] == v]
        kept = sum(NAMES.get(human[r["id"]]) == int(r["label"]) for r in mine)
        flipped = sum(human[r["id"]] != "unclear" and NAMES[human[r["id"]]] != int(r["label"]) for r in mine)
        lo, hi = wilson(kept, len(mine))
        report[v] = {"n": len(mine), "kept": kept, "flipped": flipped, "unclear": len(mine) - kept - flipped,
                     "kept_pct": 100 * kept / len(mine), "kept_ci95": [100 * lo, 100 * hi]}  # fmt: skip
    print(
        "| victim | sampled successes | a human reads the gold label | reads the other label | unclear | kept % [95%] |"
    )
    print("|---|---:|---:|---:|---:|---|")
    for v, c in report.items():
        ci = f"[{c['kept_ci95'][0]:.0f}, {c['kept_ci95'][1]:.0f}]"
        print(f"| {v} | {c['n']} | {c['kept']} | {c['flipped']} | {c['unclear']} | {c['kept_pct']:.0f} {ci} |")
    if out:
        Path(out).write_text(json.dumps(report, indent=1) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("csv")
    s.add_argument("dir", type=Path)
    s.add_argument("--victims", default="cnn,snn")
    s.add_argument("--k", type=int, default=40)
    s.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("score")
    c.add_argument("dir", type=Path)
    c.add_argument("--out")
    a = p.parse_args()
    if a.cmd == "sample":
        sample(a.csv, a.dir, a.victims.split(","), a.k, a.seed)
    else:
        score(a.dir, a.out)


if __name__ == "__main__":
    main()
