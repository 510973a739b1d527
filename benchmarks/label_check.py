"""Do the "successful" adversarial examples keep their label? A held-out judge's agreement (issue 25).

No natural-language-inference model ships offline, so the judge is a sentiment model trained on *another* data
set of the same task (SST-2's examples judged by a quick-preset MR CNN, MR's by an SST-2 one): it never saw the
attacked model, its data or its attacks. For every success in an attack CSV (`spiketext attack`), the judge
classifies the original and the perturbed sentence; where it agrees with the gold label on the original, a
perturbed sentence it still gives the gold label is counted as label-preserving by the judge. Reported per
victim. The judge is itself fooled by some substitutions (a change it misreads is counted as a label change), so
read the share as a lower bound on label preservation, not a ground truth.

    python benchmarks/label_check.py CSV.gz JUDGE_RUN [--out FILE.json]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("csv", help="an attack's examples (attack_NAME.csv or .csv.gz)")
    p.add_argument("judge", help="a run folder of a model trained on another data set of the same labels")
    p.add_argument("--out", help="also write the counts as JSON")
    args = p.parse_args()
    from spiketext import api

    judge = api.load_model(args.judge, "cnn")
    opener = gzip.open if args.csv.endswith(".gz") else open
    with opener(args.csv, "rt", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "success"]
    if not rows:
        print("no successful adversarial examples in", args.csv)
        return 1
    labels = judge.labels
    out = {}
    for victim in dict.fromkeys(r["model"].split(":")[0] for r in rows):
        mine = [r for r in rows if r["model"].split(":")[0] == victim]
        orig = api.classify(judge, [r["original"] for r in mine])
        pert = api.classify(judge, [r["perturbed"] for r in mine])
        agree = [k for k, r in enumerate(mine) if orig[k]["label"] == r["label"]]
        kept = sum(pert[k]["label"] == mine[k]["label"] for k in agree)
        out[victim] = {
            "successes": len(mine),
            "judge_agrees_on_original": len(agree),
            "judge_keeps_label_on_perturbed": kept,
            "label_preserving_pct": 100 * kept / len(agree) if agree else None,
        }
    print(f"judge: {args.judge} (labels {labels}); attack CSV: {args.csv}")
    print("| victim | successes | judge right on the original | judge keeps the label on the perturbed | % |")
    print("|---|---:|---:|---:|---:|")
    for v, c in out.items():
        pct = "–" if c["label_preserving_pct"] is None else f"{c['label_preserving_pct']:.1f}"
        counts = f"{c['successes']} | {c['judge_agrees_on_original']} | {c['judge_keeps_label_on_perturbed']}"
        print(f"| {v} | {counts} | {pct} |")
    if args.out:
        Path(args.out).write_text(json.dumps({"judge": args.judge, "csv": args.csv, "victims": out}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
