"""Where the spiking transformer's time goes on a CPU: one batch of a run's QANN as an ANN forward pass and as
the SNN for T steps (with and without the energy count), and the torch profiler's top operators of the SNN.

    python benchmarks/device/transformer_profile.py RUN [--steps 16] [--batch 64] [--tokens 30] [--threads 1]

RUN: a transformer run folder (its checkpoints/qann). Token ids are drawn from a seeded generator (the timing does
not depend on the words); the output is plain text (benchmarks/results/cpu/<class>/transformer_snn_profile.txt).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from spiketext.core.models.spiking_transformer import OpCounts, SpikingTransformer
from spiketext.core.transformer_bundle import load_transformer


def seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--tokens", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, _ = load_transformer(args.run / "checkpoints" / "qann")
    model.eval()
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 20000, (args.batch, args.tokens), generator=g)
    mask = torch.ones(args.batch, args.tokens, dtype=torch.bool)
    snn = SpikingTransformer(model)
    with torch.no_grad():
        ann = seconds(lambda: model(ids, mask))
        plain = seconds(lambda: snn.run(ids, mask, args.steps))
        counted = seconds(lambda: snn.run(ids, mask, args.steps, OpCounts()))
        print(f"batch {args.batch} x {args.tokens} tokens, {args.threads} thread(s), torch {torch.__version__}")
        print(f"ANN forward {ann:.2f} s; SNN T = {args.steps}: {plain:.2f} s ({plain / ann:.1f} ANN passes), "
              f"with the energy count {counted:.2f} s")  # fmt: skip
        with profile(activities=[ProfilerActivity.CPU]) as p:
            snn.run(ids, mask, args.steps)
    print(p.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


if __name__ == "__main__":
    main()
