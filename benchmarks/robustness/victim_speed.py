"""Time per query of the attack victims, side by side in one process: the CNN, the SNN with one frozen draw and
with the expected score over R fresh draws, each with the windowed scoring of one-word variants on and off.

The queries are what a greedy search sends: for each of the first N test sentences, the TextFooler substitutes
of one word, in one call. Prints a markdown table; --json writes it.

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/robustness/victim_speed.py runs/sst2 --n 40 \
        --json benchmarks/results/attacks/victim_speed_sst2.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from victim_draws import setup

from spiketext.attacks import Victim
from spiketext.attacks.recipes import replace
from spiketext.attacks.search import editable


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("--model", default="snn_finetuned")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--draws", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dtype, snn, cnn, test, space = setup(args.run, args.model)
    calls = []
    for text in test.texts:
        if len(calls) >= args.n:
            break
        tokens = snn.featurizer.tokenize([text])[0]
        pos = [j for j in editable(tokens) if j < snn.featurizer.max_len and space.neighbours(tokens[j])]
        if pos:
            calls.append([replace(tokens, pos[0], w) for w in space.neighbours(tokens[pos[0]])])
    victims = {
        "cnn": Victim(cnn, dtype=dtype),
        "snn fixed, full": Victim(snn, "fixed", dtype=dtype, windowed=False),
        "snn fixed, windowed": Victim(snn, "fixed", dtype=dtype),
        f"snn expected R={args.draws}, full": Victim(snn, "expected", 0, args.draws, dtype=dtype, windowed=False),
        f"snn expected R={args.draws}, windowed": Victim(snn, "expected", 0, args.draws, dtype=dtype),
    }
    times = {k: [] for k in victims}
    for _ in range(2):  # interleaved rounds: the machine's noise hits every victim alike
        for name, v in victims.items():
            t0 = time.perf_counter()
            for c in calls:
                v.probs(c)
            times[name].append(time.perf_counter() - t0)
    queries = sum(len(c) for c in calls)
    base = min(times["cnn"]) / queries
    rows = {k: 1000 * min(t) / queries for k, t in times.items()}
    print(f"{len(calls)} calls, {queries} queries, L = {snn.featurizer.max_len}, T = {snn.num_steps}, {dtype}")
    print("| victim | ms per query | × CNN |")
    print("|---|---:|---:|")
    for k, ms in rows.items():
        print(f"| {k} | {ms:.2f} | {ms / (1000 * base):.0f} |")
    if args.json:
        out = {"run": args.run, "calls": len(calls), "queries": queries, "ms_per_query": rows,
               "threads": args.threads, "max_len": snn.featurizer.max_len, "num_steps": snn.num_steps}  # fmt: skip
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
