"""Where the engine's time goes: torch.profiler over spiketext training steps and inference batches at the
paper's shape (issue 4: a ratio that misses its target is reported with what limits it).

    python benchmarks/diagnose/profile_engine.py [--shape paper|default] [--steps 5] [--json FILE]

Prints self CPU time per step by category (convolution forward, convolution weight gradient, Bernoulli draw,
LIF scans, the rest) and the floor the convolution alone sets: its FLOPs at the machine's bf16 matmul peak,
measured in the same run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from spiketext.core.bench.engine import DEFAULT_SHAPE, PAPER_SHAPE, matmul_peak, step_functions
from spiketext.core.runtime import autocast_dtype, tune_cpu_allocator

CATEGORIES = {
    "convolution forward": ("aten::mkldnn_convolution", "aten::_convolution", "aten::convolution"),
    "convolution weight gradient": ("aten::convolution_backward",),
    "Bernoulli draw": ("aten::uniform_", "aten::lt"),
    "LIF scans (forward + backward)": ("_LIFScan", "_LIFScanBackward"),
}


def categorize(events) -> dict[str, float]:
    """Self CPU ms by category; LIF scans are counted inclusive of the ops they launch."""
    out = dict.fromkeys([*CATEGORIES, "rest"], 0.0)
    total = sum(e.self_cpu_time_total for e in events) / 1e3
    lif = sum(e.cpu_time_total for e in events if e.key in CATEGORIES["LIF scans (forward + backward)"]) / 1e3
    out["LIF scans (forward + backward)"] = lif
    for e in events:
        for cat, keys in CATEGORIES.items():
            if cat.startswith("LIF"):
                continue
            if e.key in keys:
                out[cat] += e.self_cpu_time_total / 1e3
    out["rest"] = total - sum(v for k, v in out.items() if k != "rest")
    out["total"] = total
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", default="paper", choices=("paper", "default"))
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    tune_cpu_allocator()
    shape = PAPER_SHAPE if args.shape == "paper" else DEFAULT_SHAPE
    device = torch.device("cpu")
    train, infer = step_functions(shape, "spiketext", device, "auto")
    for _ in range(2):
        train()
        infer()
    result: dict = {"shape": args.shape, "dtype": str(autocast_dtype("auto", device) or torch.float32)}
    for name, fn in (("train_step", train), ("inference", infer)):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(args.steps):
                fn()
        per_step = {k: v / args.steps for k, v in categorize(prof.key_averages()).items()}
        result[name] = per_step
    peak = matmul_peak(torch.bfloat16, device)
    flops = shape.conv_flops()
    result["bf16_matmul_peak_flops"] = peak
    result["conv_floor_ms"] = {"train_step": 2 * flops / peak * 1e3, "inference": flops / peak * 1e3}
    print(f"{args.shape} shape, {result['dtype']}, ms per step (profiled; the profiler adds some overhead)")
    print("| part | train step | inference |")
    print("|---|---:|---:|")
    for k in [*CATEGORIES, "rest", "total"]:
        print(f"| {k} | {result['train_step'][k]:.1f} | {result['inference'][k]:.1f} |")
    print(
        f"| floor: the convolution's FLOPs at the bf16 matmul peak ({peak / 1e12:.2f} TFLOP/s) | "
        f"{result['conv_floor_ms']['train_step']:.1f} | {result['conv_floor_ms']['inference']:.1f} |"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
