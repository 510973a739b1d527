"""Engine benchmark: spiketext's SNN against the authors' structure, side by side in one process.

For each shape, after a warm-up, the two implementations alternate (reference, spiketext, reference, ...) and
the median of the repetitions is reported: ms per training step (Bernoulli encoding + forward + per-step loss +
backward + AdamW step), ms per inference batch, sentences per second, and their ratios. Peak memory of one
training step is measured in a fresh subprocess per implementation, on the second step (CPU: the peak RSS above
the RSS before the step, with glibc's mmap threshold pinned so that freed tensors leave the resident set; CUDA:
torch.cuda.max_memory_allocated). The machine's bf16 and fp32 matrix-multiply throughput is measured in the
same run; `peak_fraction` = the convolution FLOPs a spiketext training step performs (forward + weight gradient)
per second, over the bf16 (or fp32, where bf16 does not pay) matmul peak.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

from spiketext.core.codes import Draw
from spiketext.core.models.architecture import Architecture
from spiketext.core.models.spiking import SpikingTextCNN, rate_ce_loss
from spiketext.core.models.textcnn import init_linear_weights
from spiketext.core.runtime import autocast_dtype, generator, tune_cpu_allocator


@dataclass(frozen=True)
class Shape:
    batch: int = 32
    steps: int = 50
    length: int = 25
    dim: int = 300
    filters: int = 100
    kernels: tuple[int, ...] = (3, 4, 5)
    classes: int = 2
    per_class: int = 10

    def conv_flops(self) -> int:
        """Multiply-adds × 2 of the three convolutions over all T·B inputs (one forward pass)."""
        return (
            2 * self.steps * self.batch * sum(self.filters * self.dim * k * (self.length - k + 1) for k in self.kernels)
        )


PAPER_SHAPE = Shape(dim=300)
DEFAULT_SHAPE = Shape(dim=50)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(dtype: torch.dtype, device: torch.device, n: int = 2048, reps: int = 5) -> float:
    """FLOP/s of an n×n×n matrix product (median of `reps` after a warm-up)."""
    g = generator(0, device=device)
    a = torch.randn(n, n, generator=g, device=device).to(dtype)
    b = torch.randn(n, n, generator=g, device=device).to(dtype)
    a @ b
    times = []
    for _ in range(reps):
        _sync(device)
        t = time.perf_counter()
        a @ b
        _sync(device)
        times.append(time.perf_counter() - t)
    return 2 * n**3 / statistics.median(times)


def build(shape: Shape, impl: str, device: torch.device):
    """The spiketext SNN or the reference, with identical seeded weights."""
    ours = SpikingTextCNN(Architecture(shape.dim, shape.classes, shape.filters, tuple(shape.kernels), shape.per_class))
    init_linear_weights(ours, generator(0))
    if impl == "spiketext":
        return ours.to(device)
    from spiketext.core.bench.reference import ReferenceSNN

    ref = ReferenceSNN(shape.dim, shape.classes, shape.filters, shape.kernels, shape.per_class)
    return ref.copy_from(ours).to(device)


def step_functions(shape: Shape, impl: str, device: torch.device, precision: str):
    """(train_step, infer_batch) closures; the reference always runs fp32, as the authors' code did."""
    model = build(shape, impl, device)
    dtype = autocast_dtype(precision, device) if impl == "spiketext" else None
    g = generator(1, device=device)
    x = torch.rand(shape.batch, shape.dim, shape.length, generator=g, device=device)
    y = torch.randint(0, shape.classes, (shape.batch,), generator=g, device=device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def forward_scores():
        return model.class_scores(x, Draw(shape.steps, g, dtype))  # the one inference path of each implementation

    def train_step() -> None:
        loss = rate_ce_loss(forward_scores(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    @torch.no_grad()
    def infer() -> None:
        forward_scores().sum(0).argmax(-1)

    return train_step, infer


def interleaved_medians(fns: dict[str, Callable[[], None]], reps: int, warmup: int, device: torch.device):
    """Median seconds per call of each function, calls alternating between the functions."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            _sync(device)
            t = time.perf_counter()
            fn()
            _sync(device)
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(v) for name, v in times.items()}


def _proc_status_bytes(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def memory_probe(shape: Shape, impl: str, device_name: str, precision: str) -> int:
    """Peak bytes one training step needs above what was resident before it (run in a fresh process: see
    `peak_memory`). A first step runs untimed, so one-time allocations (optimizer state, oneDNN primitives) are
    not counted; then the peak is reset and the second step is measured."""
    device = torch.device(device_name)
    train_step, _ = step_functions(shape, impl, device, precision)
    train_step()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        train_step()
        return torch.cuda.max_memory_allocated(device) - base
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # Linux: reset the peak RSS (VmHWM) to the current RSS
    before = _proc_status_bytes("VmRSS")
    train_step()
    return max(0, _proc_status_bytes("VmHWM") - before)


def peak_memory(shape: Shape, impl: str, device: torch.device, precision: str) -> int:
    """Peak memory of a training step, from a fresh process. On a CPU, glibc's mmap threshold is pinned at
    64 KiB there, so that every tensor's pages come from the OS and go back when it is freed: the resident set
    then follows the live tensors, and its peak is the step's peak (without it, pages kept in the heap by the
    first step would hide the second step's allocations)."""
    code = (
        "import json, sys; from spiketext.core.bench.engine import Shape, memory_probe; "
        "s = json.loads(sys.argv[1]); s['kernels'] = tuple(s['kernels']); "
        "print(memory_probe(Shape(**s), sys.argv[2], sys.argv[3], sys.argv[4]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(asdict(shape)), impl, str(device), precision],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"},
    )
    return int(out.stdout.strip().splitlines()[-1])


def benchmark_shape(shape: Shape, device: torch.device, precision: str, reps: int, warmup: int) -> dict:
    ref_train, ref_infer = step_functions(shape, "reference", device, precision)
    our_train, our_infer = step_functions(shape, "spiketext", device, precision)
    train = interleaved_medians({"reference": ref_train, "spiketext": our_train}, reps, warmup, device)
    infer = interleaved_medians({"reference": ref_infer, "spiketext": our_infer}, reps, warmup, device)
    mem = {impl: peak_memory(shape, impl, device, precision) for impl in ("reference", "spiketext")}
    flops = 2 * shape.conv_flops()  # forward + weight gradient (spike inputs need no input gradient)
    return {
        "shape": asdict(shape),
        "train_step_ms": {k: 1000 * v for k, v in train.items()},
        "inference_ms": {k: 1000 * v for k, v in infer.items()},
        "sentences_per_s": {k: shape.batch / v for k, v in infer.items()},
        "peak_memory_bytes": mem,
        "train_step_speedup": train["reference"] / train["spiketext"],
        "inference_speedup": infer["reference"] / infer["spiketext"],
        "peak_memory_ratio": mem["spiketext"] / mem["reference"] if mem["reference"] else None,
        "train_conv_flops": flops,
        "achieved_flops": flops / train["spiketext"],
    }


def run_benchmark(
    device: str = "auto",
    precision: str = "auto",
    reps: int = 5,
    warmup: int = 2,
    shapes: dict | None = None,
    peak_size: int = 2048,
) -> dict:
    """Both shapes, the matmul peaks (n = `peak_size`), and the fraction of peak; a JSON-ready dict. The bf16 peak
    is measured only where the hardware has bf16 (elsewhere bf16 is emulated, minutes for one product, and None)."""
    from spiketext.core.runtime import bf16_supported, resolve_device

    dev = resolve_device(device)
    tune_cpu_allocator()
    bf16 = matmul_peak(torch.bfloat16, dev, peak_size) if bf16_supported(dev) else None
    fp32 = matmul_peak(torch.float32, dev, peak_size)
    engine_dtype = autocast_dtype(precision, dev)
    peak = bf16 if engine_dtype == torch.bfloat16 and bf16 else fp32
    shapes = shapes or {"paper_shape": PAPER_SHAPE, "default_shape": DEFAULT_SHAPE}
    out: dict = {
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "engine_dtype": str(engine_dtype or torch.float32),
        "matmul_peak_flops": {"bf16": bf16, "fp32": fp32},
        "reps": reps,
    }
    for name, shape in shapes.items():
        r = benchmark_shape(shape, dev, precision, reps, warmup)
        r["peak_fraction"] = r["achieved_flops"] / peak
        out[name] = r
    return out


def _tflops(flops: float | None) -> str:
    return "not native here" if flops is None else f"{flops / 1e12:.2f} TFLOP/s"


def markdown(result: dict) -> str:
    lines = [
        f"device {result['device']} ({result['threads']} threads), torch {result['torch']}, engine "
        f"{result['engine_dtype']}; matmul peak bf16 {_tflops(result['matmul_peak_flops']['bf16'])}, "
        f"fp32 {result['matmul_peak_flops']['fp32'] / 1e12:.2f} TFLOP/s; median of {result['reps']}",
        "",
        "| shape | impl | train step (ms) | inference (ms) | sentences/s | peak memory (MB) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name in ("paper_shape", "default_shape"):
        r = result.get(name)
        if not r:
            continue
        for impl in ("reference", "spiketext"):
            lines.append(
                f"| {name} (D = {r['shape']['dim']}) | {impl} | {r['train_step_ms'][impl]:.1f} | "
                f"{r['inference_ms'][impl]:.1f} | {r['sentences_per_s'][impl]:.0f} | "
                f"{r['peak_memory_bytes'][impl] / 2**20:.0f} |"
            )
        lines.append(
            f"| {name} | ratio | {r['train_step_speedup']:.2f}× faster | {r['inference_speedup']:.2f}× faster | | "
            f"{r['peak_memory_ratio']:.2f}× | "
        )
        lines.append(f"| {name} | peak fraction | {100 * r['peak_fraction']:.1f}% of the matmul peak | | | |")
    return "\n".join(lines)
