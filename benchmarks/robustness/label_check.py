"""Do the "successful" adversarial examples keep their label? A held-out judge's agreement (issue 25).

No natural-language-inference model ships offline, so the judge is a sentiment model trained on *another* data
set of the same task (SST-2's examples judged by an MR model, MR's by an SST-2 one): it never saw the attacked
model, its data or its attacks. Two kinds of judge:

    RUN_DIR         the tailored CNN of a spiketext run folder (it shares the victims' GloVe vectors, so a
                    substitution that fools the victim through its vectors may fool the judge the same way)
    minilm:DATASET  logistic regression (scikit-learn, which sentence-transformers brings) on all-MiniLM-L6-v2
                    sentence embeddings of DATASET's training split: another representation than the victims'

For every success in an attack CSV (`spiketext attack`), the judge classifies the original and the perturbed
sentence; where it agrees with the gold label on the original, a perturbed sentence it still gives the gold label
is counted as label-preserving by the judge. Reported per victim, with the judge's own accuracy on the attacked
data set's test split. A judge is itself fooled by some substitutions (a change it misreads is counted as a label
change), so read the share as a lower bound on label preservation, not a ground truth.

    python benchmarks/robustness/label_check.py CSV.gz JUDGE [--out FILE.json]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))


def minilm_judge(dataset: str) -> Callable[[list[str]], np.ndarray]:
    """texts -> class ids [N], from logistic regression on MiniLM embeddings of `dataset`'s training split."""
    from sklearn.linear_model import LogisticRegression

    from spiketext.attacks.similarity import load_minilm
    from spiketext.data.load import load_corpus
    from spiketext.settings.config import DataConfig

    encoder = load_minilm().model
    train = load_corpus(DataConfig(dataset=dataset)).splits["train"]
    embed = lambda texts: encoder.encode(texts, batch_size=128, normalize_embeddings=True)  # noqa: E731
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(embed(train.texts), train.labels)
    return lambda texts: clf.predict(embed(texts))


def cnn_judge(run: str) -> Callable[[list[str]], np.ndarray]:
    from spiketext import api

    judge = api.load_model(run, "cnn")
    return lambda texts: np.array([judge.labels.index(r["label"]) for r in api.classify(judge, texts)])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("csv", help="an attack's examples (attack_NAME.csv or .csv.gz)")
    p.add_argument("judge", help="a run folder trained on another data set of the same labels, or minilm:DATASET")
    p.add_argument("--dataset", help="the attacked data set, for the judge's own test accuracy (e.g. sst2)")
    p.add_argument("--out", help="also write the counts as JSON")
    args = p.parse_args()
    judge = minilm_judge(args.judge.split(":", 1)[1]) if args.judge.startswith("minilm:") else cnn_judge(args.judge)
    opener = gzip.open if args.csv.endswith(".gz") else open
    with opener(args.csv, "rt", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "success"]
    if not rows:
        print("no successful adversarial examples in", args.csv)
        return 1
    report: dict = {"judge": args.judge, "csv": args.csv}
    if args.dataset:
        from spiketext.data.load import load_corpus
        from spiketext.settings.config import DataConfig

        test = load_corpus(DataConfig(dataset=args.dataset)).splits["test"]
        report["judge_test_acc"] = float(np.mean(judge(test.texts) == test.labels))
    out = {}
    for victim in dict.fromkeys(r["model"].split(":")[0] for r in rows):
        mine = [r for r in rows if r["model"].split(":")[0] == victim]
        gold = np.array([int(r["label"]) for r in mine])
        orig, pert = judge([r["original"] for r in mine]), judge([r["perturbed"] for r in mine])
        agree = orig == gold
        kept = int(np.sum(agree & (pert == gold)))
        out[victim] = {
            "successes": len(mine),
            "judge_agrees_on_original": int(agree.sum()),
            "judge_keeps_label_on_perturbed": kept,
            "label_preserving_pct": 100 * kept / int(agree.sum()) if agree.any() else None,
        }
    report["victims"] = out
    acc = f", its test accuracy on {args.dataset} {100 * report['judge_test_acc']:.1f}%" if args.dataset else ""
    print(f"judge: {args.judge}{acc}; attack CSV: {args.csv}")
    print("| victim | successes | judge right on the original | judge keeps the label on the perturbed | % |")
    print("|---|---:|---:|---:|---:|")
    for v, c in out.items():
        pct = "–" if c["label_preserving_pct"] is None else f"{c['label_preserving_pct']:.1f}"
        counts = f"{c['successes']} | {c['judge_agrees_on_original']} | {c['judge_keeps_label_on_perturbed']}"
        print(f"| {v} | {counts} | {pct} |")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
