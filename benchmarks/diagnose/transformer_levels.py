"""Which quantizer levels keep the fine-tuned ANN's accuracy before any quantization-aware training? A transformer
run's ANN (its GELU swapped for ReLU, as the QANN does) quantized at several level settings, every clip calibrated
at the 99.9th percentile of its site's inputs on 16 training batches, then scored on dev: the cheap probe that
chooses what QAT starts from.

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/diagnose/transformer_levels.py runs/tgrid/sst2/seed0 \
        --configs 8 16 8:32 8:64 --json benchmarks/results/transformer_levels_sst2.json

A config is LEVELS or LEVELS:ATTENTION_LEVELS (the attention probabilities' own levels).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run")
    p.add_argument("--configs", nargs="+", default=["8", "16", "8:32"])
    p.add_argument("--json")
    args = p.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from spiketext.core.models.quantize import calibrate
    from spiketext.core.models.transformer import TextTransformer
    from spiketext.core.runtime import generator
    from spiketext.core.transformer_bundle import load_transformer
    from spiketext.data.wordpiece import piece_batches
    from spiketext.runs.folder import find_run_config
    from spiketext.runs.transformer import open_transformer_run, quantized_shape

    cfg = find_run_config(args.run)
    ctx = open_transformer_run(cfg, args.run)  # reads the folder; writes nothing new to a finished run
    ann, _ = load_transformer(Path(args.run) / "checkpoints" / "ann")
    rows = [{"config": "ANN (float, GELU)", "dev_acc": ctx.accuracy(ann, "dev")}]
    relu = TextTransformer(dataclasses.replace(ann.shape, activation="relu"))
    relu.load_state_dict(ann.state_dict())
    rows.append({"config": "ANN with ReLU (float)", "dev_acc": ctx.accuracy(relu, "dev")})
    for spec in args.configs:
        levels, _, attention = spec.partition(":")
        t0 = time.perf_counter()
        model = TextTransformer(quantized_shape(ann.shape, int(levels), int(attention or 0)))
        model.load_state_dict(ann.state_dict(), strict=False)
        sample = piece_batches(ctx.pieces["train"], ctx.labels("train"), 32, generator(cfg.seed, 62))

        def run_batches(model=model, sample=sample) -> None:
            model.eval()
            for _, (ids, mask, _, _) in zip(range(16), sample, strict=False):
                model(ids, mask)

        calibrate(model, run_batches)
        rows.append({"config": f"L = {levels}" + (f", attention {attention}" if attention else ""),
                     "dev_acc": ctx.accuracy(model, "dev"), "seconds": time.perf_counter() - t0})  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
    print("| quantizers (calibrated, no QAT) | dev acc (%) |\n|---|---:|")
    for r in rows:
        print(f"| {r['config']} | {100 * r['dev_acc']:.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"run": args.run, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
