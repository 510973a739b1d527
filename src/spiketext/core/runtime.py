"""Where and how the numbers are computed: seeded generators, device and precision, autocast, memory checks.

Randomness goes only through `generator(seed, *stream)`: independent, reproducible streams (numpy SeedSequence).
`evaluation_seed` is the one rule that picks the Bernoulli draws an evaluation uses, so a run's stored accuracy
and energy count and a later `evaluate` / `energy` on the same run draw the same spikes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

import numpy as np
import torch

from spiketext.errors import SpiketextError
from spiketext.settings.config import Precision, choices

log = logging.getLogger(__name__)

# Base of the seeds of a split's evaluation draws (draw r of a run with seed s: base + 100·s + r).
_EVAL_BASE = {"dev": 10_000, "test": 20_000, "train": 30_000}


def evaluation_seed(split: str, run_seed: int) -> int:
    """Seed of the first Bernoulli draw that evaluates `split` for a run seeded with `run_seed`."""
    if split not in _EVAL_BASE:
        raise SpiketextError(f"split {split!r}: choose train, dev or test")
    return _EVAL_BASE[split] + 100 * run_seed


def seed_from(seed: int, *stream: int) -> int:
    """A 63-bit seed derived from (seed, *stream) through numpy's SeedSequence (independent streams)."""
    if seed < 0:
        raise SpiketextError(f"seed {seed}: must be >= 0")
    return int(np.random.SeedSequence([seed, *stream]).generate_state(1, dtype=np.uint64)[0] >> 1)


def generator(seed: int, *stream: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A torch.Generator seeded from (seed, *stream) (`seed_from`)."""
    return torch.Generator(device=device).manual_seed(seed_from(seed, *stream))


def bf16_supported(device: torch.device) -> bool:
    """bf16 pays on CUDA and on CPUs with AMX or AVX-512-BF16 (read from /proc/cpuinfo)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def cpu_description() -> str:
    """The CPU model and whether it has AMX / AVX-512-BF16: what decides `precision: auto` on a CPU."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown CPU"
    model = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")), "CPU")
    feats = [f for f in ("amx_bf16", "avx512_bf16") if f in info]
    return f"{model} ({', '.join(feats) or 'no bf16 matmul units'})"


_ALLOCATOR_TUNED = False


def tune_cpu_allocator() -> None:
    """Keep freed memory in glibc's heap instead of returning it to the OS (opt-in: the CLI calls it).

    The SNN's per-batch temporaries are tens of MB; glibc serves such blocks with mmap and unmaps them on free,
    so every training step page-faults its working set back in (measured: a third of the CPU time went to the
    kernel, and a training step took 0.29 s instead of 0.13 s at D = 50). Disabling mmap'd blocks and heap
    trimming removes that cost; peak memory is unchanged. It changes the whole process's allocator, so library
    calls never do it behind the caller's back. A no-op where glibc is absent.
    """
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED:
        return
    _ALLOCATOR_TUNED = True
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_max = -1, -4  # mallopt parameter numbers from <malloc.h>
        libc.mallopt(m_mmap_max, 0)
        libc.mallopt(m_trim_threshold, 1 << 30)
    except (OSError, AttributeError):
        log.debug("glibc mallopt not available; allocator left as it is")


_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def resolve_device(name: str, setting: str = "device") -> torch.device:
    """`auto` | `cpu` | `cuda` | `cuda:N`, checked against what this torch can use."""
    if not _DEVICE.match(name):
        raise SpiketextError(f"setting {setting}: {name!r} is not a device; use auto, cpu, cuda or cuda:N")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SpiketextError(
                f"setting {setting}: {name} asked for, but this torch ({torch.__version__}) sees no CUDA GPU; "
                "use --device cpu (or auto)"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise SpiketextError(
                f"setting {setting}: {name}, but only {torch.cuda.device_count()} GPU(s) are visible; use cuda:0"
            )
    return device


def autocast_dtype(precision: Precision | str, device: torch.device) -> torch.dtype | None:
    """None for fp32; bf16 for 'bf16', or for 'auto' where the hardware makes it pay."""
    if precision not in choices(Precision):
        raise SpiketextError(f"setting precision: {precision!r}; choose auto, bf16 or fp32")
    if precision == "fp32" or (precision == "auto" and not bf16_supported(device)):
        return None
    return torch.bfloat16


def autocast(device: torch.device | str, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """torch.autocast in `dtype` on `device`, or nothing for fp32 (dtype None): the one autocast idiom."""
    kind = device if isinstance(device, str) else device.type
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(kind, dtype=dtype)


def available_memory(device: torch.device) -> int:
    """Bytes this process can hope to allocate: free GPU memory, or the machine's physical memory."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 40


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"


def check_memory(needed: int, device: torch.device, what: str, fix: str) -> None:
    """Refuse, before allocating, work that cannot fit: one line with the estimate, the machine and the fix."""
    have = available_memory(device)
    if needed > have:
        raise SpiketextError(
            f"{what} needs about {_human(needed)} of memory, and this {device.type} has {_human(have)}; {fix}"
        )
