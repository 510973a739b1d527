"""How many fresh draws per query does the stochastic SNN victim need for the attack's decisions to be stable?

For the first N test sentences the SNN classifies correctly, take the TextFooler substitutes of the most important
word (the candidates one greedy step compares) and ask the two questions a search step asks: does a candidate
flip the prediction (argmax ≠ label), and which candidate lowers the true class most (argmin). Answer them with a
reference estimate (R_ref fresh draws per query) and with R fresh draws, for several R (two independent
repetitions each; R = R_ref is the reference's own repeatability, the ceiling), and report the flips' precision
and recall against the reference, how often the argmin agrees, the time per query, and how often the victim's
clean score agrees with the majority of fresh evaluation draws.

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/robustness/victim_draws.py runs/sst2 --n 40 \
        --json benchmarks/results/attacks/victim_draws_sst2.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from spiketext.api import load_model
from spiketext.attacks import Victim, WordSpace
from spiketext.attacks.recipes import replace
from spiketext.attacks.search import editable
from spiketext.core.runtime import autocast_dtype
from spiketext.runs.saved import run_corpus, split_of


def setup(run: str, model: str):
    """(autocast dtype, the SNN bundle, the CNN bundle, the run's test split, GloVe neighbours): what the victim
    benchmarks share (victim_speed.py imports it)."""
    dtype = autocast_dtype("auto", torch.device("cpu"))
    snn, cnn = load_model(run, model), load_model(run, "cnn")
    test = split_of(run_corpus(run, None)[0], "test")
    vectors = cnn.featurizer.vectors
    space = WordSpace(vectors.words, np.asarray(vectors.vectors, dtype=np.float32), use_wordnet=False)
    return dtype, snn, cnn, test, space


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", help="a run folder with a Bernoulli SNN")
    ap.add_argument("--model", default="snn_finetuned")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--draws", default="1,2,4,8,16")
    ap.add_argument("--reference", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dtype, bundle, cnn, test, space = setup(args.run, args.model)
    ref = Victim(bundle, "expected", 1000, args.reference, dtype=dtype)
    steps: list[tuple[list[list[str]], int]] = []  # (candidates, label)
    clean_agree = []
    for i in range(len(test.texts)):
        if len(steps) >= args.n:
            break
        tokens, label = bundle.featurizer.tokenize([test.texts[i]])[0], int(test.labels[i])
        p0 = ref.probs([tokens])[0]
        votes = ref.verdict(tokens, i)
        clean_agree.append(int(p0.argmax() == np.bincount(votes, minlength=len(p0)).argmax()))
        if p0.argmax() != label:
            continue
        pos = [j for j in editable(tokens) if j < bundle.featurizer.max_len and space.neighbours(tokens[j])]
        if not pos:
            continue
        drop = p0[label] - ref.probs([tokens[:j] + tokens[j + 1 :] for j in pos])[:, label]
        j = pos[int(drop.argmax())]
        steps.append(([replace(tokens, j, w) for w in space.neighbours(tokens[j])], label))

    def compare(flips: list[np.ndarray], mins: list[int]) -> dict[str, float]:
        a, b = np.concatenate(flips), np.concatenate(ref_flips)
        return {
            "flip_precision": float((a & b).sum() / max(a.sum(), 1)),
            "flip_recall": float((a & b).sum() / max(b.sum(), 1)),
            "flip_agreement": float(np.mean(a == b)),
            "argmin_agreement": float(np.mean([x == y for x, y in zip(mins, ref_mins, strict=True)])),
        }

    def answers(victim: Victim) -> tuple[list[np.ndarray], list[int], float]:
        flips, mins, queries, t0 = [], [], 0, time.perf_counter()
        for cands, label in steps:
            p = victim.probs(cands)
            flips.append(p.argmax(1) != label)
            mins.append(int(p[:, label].argmin()))
            queries += len(cands)
        return flips, mins, 1000 * (time.perf_counter() - t0) / queries

    ref_flips, ref_mins, ref_ms = answers(ref)
    rows = []
    for R in [int(r) for r in args.draws.split(",")]:
        for rep in range(2):
            flips, mins, ms = answers(Victim(bundle, "expected", 10 * R + rep, R, dtype=dtype))
            rows.append({"draws": R, "repeat": rep, **compare(flips, mins), "ms_per_query": ms})
    fixed_flips, fixed_mins, fixed_ms = answers(Victim(bundle, "fixed", 0, dtype=dtype))
    fixed = {**compare(fixed_flips, fixed_mins), "ms_per_query": fixed_ms}
    n_cands = sum(len(c) for c, _ in steps)
    keys = ("flip_precision", "flip_recall", "argmin_agreement")
    print(f"{len(steps)} search steps, {n_cands} candidates; reference: {args.reference} fresh draws per query")
    print(f"reference flips: {100 * np.mean(np.concatenate(ref_flips)):.1f}% of candidates")
    print("| draws per query | flips: precision (%) | flips: recall (%) | argmin agrees (%) | ms per query |")
    print("|---:|---:|---:|---:|---:|")
    for R in sorted({r["draws"] for r in rows}):
        rr = [r for r in rows if r["draws"] == R]
        cells = " | ".join(f"{100 * np.mean([r[k] for r in rr]):.1f}" for k in keys)
        print(f"| {R} | {cells} | {np.mean([r['ms_per_query'] for r in rr]):.1f} |")
    cells = " | ".join(f"{100 * fixed[k]:.1f}" for k in keys)
    print(f"| 1 frozen draw (fixed) | {cells} | {fixed_ms:.1f} |")
    print(f"clean: the reference score's class agrees with the evaluation draws' majority on "
          f"{100 * np.mean(clean_agree):.1f}% of {len(clean_agree)} sentences")  # fmt: skip
    if args.json:
        out = {"run": args.run, "model": args.model, "steps": len(steps), "candidates": n_cands,
               "reference_draws": args.reference, "reference_ms_per_query": ref_ms, "rows": rows,
               "fixed": fixed,
               "clean_agreement": float(np.mean(clean_agree)), "threads": args.threads}  # fmt: skip
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
