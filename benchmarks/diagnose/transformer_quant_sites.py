"""Where does a trained QANN lose accuracy against its ANN? The run's QANN scored on dev with one quantizer site
at a time (in every block) switched back to float, and with that site's levels doubled at the same clip (half
the step over the same range, no retraining), beside the QANN itself, its weights with every quantizer off, and
the ANN. A site whose float or finer version recovers most of the gap is where more levels (or another code) pay.

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/diagnose/transformer_quant_sites.py runs/tgrid/mr/seed0 \
        --json benchmarks/results/transformer/quant_sites_mr.json > benchmarks/results/transformer/quant_sites_mr.md

Sites (docs/design.md §1.10): q_in (a block's input), q_q / q_k / q_v, q_p (attention probabilities), q_c (the
attention output), q_f (the FFN's input), q_u (its hidden layer), q_head (the pooled vector).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SITES = ("q_in", "q_q", "q_k", "q_v", "q_p", "q_c", "q_f", "q_u", "q_head")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run")
    p.add_argument("--split", default="dev", choices=["dev", "test"])
    p.add_argument("--json")
    args = p.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from spiketext.core.models.quantize import Quantizer
    from spiketext.core.transformer_bundle import load_transformer
    from spiketext.runs.folder import find_run_config
    from spiketext.runs.transformer import open_transformer_run

    cfg = find_run_config(args.run)
    ctx = open_transformer_run(cfg, args.run)  # reads the folder; writes nothing new to a finished run
    ann, _ = load_transformer(Path(args.run) / "checkpoints" / "ann")
    qann, _ = load_transformer(Path(args.run) / "checkpoints" / "qann")

    def quantizers(site: str | None) -> list[Quantizer]:
        """Every quantizer of `site` (None: all of them)."""
        return [m for name, m in qann.named_modules() if isinstance(m, Quantizer) and (site is None or
                name.split(".")[-1] == site)]  # fmt: skip

    from spiketext.runs.transformer_train import predict_logits
    from spiketext.stats import compare_paired

    labels = ctx.labels(args.split)

    def correct(model) -> np.ndarray:
        logits = predict_logits(model, ctx.pieces[args.split], cfg.transformer.eval_batch_size)
        return logits.argmax(-1).numpy() == labels

    def score(label: str, site: str | None, levels) -> tuple[str, np.ndarray]:
        qs = quantizers(site)
        kept = [q.levels for q in qs]
        for q in qs:
            q.levels = levels(q.levels)
        try:
            hits = correct(qann)
        finally:
            for q, n in zip(qs, kept, strict=True):
                q.levels = n
        print(f"{label}: {100 * hits.mean():.2f}", file=sys.stderr, flush=True)
        return label, hits

    rows = [("ANN", correct(ann)), score("QANN", None, lambda n: n)]
    rows.append(score("QANN weights, every quantizer off", None, lambda n: 0))
    for site in SITES:
        rows.append(score(f"{site} float", site, lambda n: 0))
        rows.append(score(f"{site} at twice the levels", site, lambda n: 2 * n))
    base = rows[1][1]
    table = []
    for label, hits in rows:
        c = compare_paired(base, hits)
        table.append({"config": label, "acc": float(hits.mean()), "minus_qann": c.diff, "ci95": [c.ci_low, c.ci_high],
                      "mcnemar_p": c.p_value})  # fmt: skip
    n = len(labels)
    print(
        f"{Path(args.run)}: its QANN on {args.split} ({n:,} sentences), one quantizer site changed in every block "
        "(no retraining); − QANN: paired difference on the same sentences, 95% bootstrap interval, exact McNemar p\n"
    )
    print(f"| configuration | {args.split} acc (%) | − QANN (pts) | 95% CI | p |\n|---|---:|---:|---|---:|")
    for r in table:
        lo, hi = r["ci95"]
        print(f"| {r['config']} | {100 * r['acc']:.2f} | {100 * r['minus_qann']:+.2f} | [{100 * lo:+.1f}, "
              f"{100 * hi:+.1f}] | {r['mcnemar_p']:.2g} |")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps({"run": args.run, "split": args.split, "rows": table}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
