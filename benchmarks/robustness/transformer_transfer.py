"""The spiking transformer against the adversarial sentences found on its own QANN (and ANN): attacking the SNN
directly costs T forward passes of MiniLM per query (hours for a full attack on 2 CPU cores), so its robustness at
full N is measured by transfer: every sentence a search flipped on the QANN (or the ANN), judged by the SNN at the
T chosen on dev. The SNN is the QANN's weights run as spikes, so a near-perfect transfer says the SNN is as easy to
fool as its QANN; a direct attack on the SNN at small N (reviewer.sh transformer ... with N=100) checks it.

    python benchmarks/robustness/transformer_transfer.py runs/tgrid/sst2/seed0 \
        benchmarks/results/robustness/reviewer/transformer_sst2_seed0/attack_textfooler.csv.gz
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run")
    p.add_argument("csv")
    p.add_argument("--json", help="default: beside the CSV, transfer_<attack>.json")
    args = p.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from spiketext import api

    snn = api.load_model(args.run)  # the spiking transformer at its dev-chosen T
    labels = snn.labels
    rows: dict[str, list[tuple[str, int]]] = {}
    opener = gzip.open if args.csv.endswith(".gz") else open
    with opener(args.csv, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["status"].startswith("success") and row["model"] in ("ann", "qann"):
                rows.setdefault(row["model"], []).append((row["perturbed"], labels.index(row["label"])))
    out = {"run": args.run, "csv": args.csv, "num_steps": snn.num_steps}
    for model, items in rows.items():
        preds = [r["class_id"] for r in api.classify(snn, [t for t, _ in items])] if items else []
        fooled = sum(p != y for p, (_, y) in zip(preds, items, strict=True))
        out[model] = {"adversarial": len(items), "snn_fooled": fooled, "rate": fooled / len(items) if items else None}
        print(f"{model}'s {len(items)} successful adversarial sentences fool the SNN (T = {snn.num_steps}) on "
              f"{fooled} ({100 * fooled / max(1, len(items)):.1f}%)")  # fmt: skip
    dest = (
        Path(args.json) if args.json else Path(args.csv).parent / f"transfer_{Path(args.csv).name.split('.')[0]}.json"
    )
    dest.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
