"""Training and evaluation loops for the CNNs and the SNN; selection on dev (DESIGN.md §1.5).

One plain loop (`fit`) serves every model: it takes a loss function, trains with AdamW, evaluates dev after each
epoch, keeps the best-dev weights, stops early after `patience` epochs without improvement, and after every epoch
saves its whole state (weights, optimizer, history) atomically. Run again after an interruption, it resumes from
the last finished epoch. Each epoch's randomness (shuffling, dropout, spike draws) comes from generators seeded
by (seed, stage, epoch), so a resumed run draws exactly what an uninterrupted run would have drawn.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from spiketext.checkpoint import (
    checkpoint_exists,
    load_checkpoint,
    load_optimizer_tensors,
    optimizer_tensors,
    save_checkpoint,
)
from spiketext.data.batching import iterate_batches
from spiketext.encoding import binomial_rates
from spiketext.models.spiking import SNN_LOSSES, SpikingTextCNN

log = logging.getLogger(__name__)

LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Generator], tuple[torch.Tensor, torch.Tensor]]


def generator(seed: int, *stream: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A torch.Generator seeded from (seed, *stream) through numpy's SeedSequence (independent streams)."""
    s = int(np.random.SeedSequence([seed, *stream]).generate_state(1, dtype=np.uint64)[0] >> 1)
    return torch.Generator(device=device).manual_seed(s)


def bf16_supported(device: torch.device) -> bool:
    """bf16 pays on CUDA and on CPUs with AMX or AVX-512-BF16 (read from /proc/cpuinfo)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


_ALLOCATOR_TUNED = False


def tune_cpu_allocator() -> None:
    """Keep freed memory in glibc's heap instead of returning it to the OS.

    The SNN's per-batch temporaries are tens of MB; glibc serves such blocks with mmap and unmaps them on free,
    so every training step page-faults its working set back in (measured: a third of the CPU time went to the
    kernel, and a training step took 0.29 s instead of 0.13 s at D = 50). Disabling mmap'd blocks and heap
    trimming removes that cost; peak memory is unchanged. A no-op where glibc is absent.
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


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """None for fp32; bf16 for 'bf16', or for 'auto' where the hardware makes it pay."""
    if precision == "fp32" or (precision == "auto" and not bf16_supported(device)):
        return None
    return torch.bfloat16


# --- losses ---------------------------------------------------------------------------------------------------


def cnn_loss(noise_steps: int = 0) -> LossFn:
    """Cross-entropy for a CNN; with `noise_steps` T > 0 the inputs become Binomial(T, e⁺)/T rates."""

    def loss(model, x, y, gen):
        if noise_steps:
            x = binomial_rates(x, noise_steps, gen)
        logits = model(x, gen)
        return nn.functional.cross_entropy(logits, y), logits.argmax(-1)

    return loss


def snn_loss(num_steps: int, dtype: torch.dtype | None, kind: str = "rate") -> LossFn:
    """`rate`: per-step cross-entropy averaged over T (DESIGN.md §1.3); `count`: cross-entropy on the T-averaged
    scores. Either way BPTT runs through all T steps."""
    criterion = SNN_LOSSES[kind]

    def loss(model, x, y, gen):
        spikes = model.encode(x, num_steps, gen, dtype)
        with torch.autocast(x.device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            scores = model.class_scores(model(spikes))
        return criterion(scores, y), scores.sum(0).argmax(-1)

    return loss


# --- evaluation -----------------------------------------------------------------------------------------------


@torch.no_grad()
def cnn_logits(model: nn.Module, ids: np.ndarray, table: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """[N, L] ids -> [N, C] logits (eval mode, no noise)."""
    was = model.training
    model.eval()
    dummy = np.zeros(len(ids), dtype=np.int64)
    out = [model(x) for x, _ in iterate_batches(ids, dummy, table, batch_size)]
    model.train(was)
    return torch.cat(out).float().cpu()


@torch.no_grad()
def snn_counts(
    model: SpikingTextCNN,
    ids: np.ndarray,
    table: torch.Tensor,
    num_steps: int,
    seed: int,
    batch_size: int = 256,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """[N, L] ids -> [N, C] class spike counts summed over T, one Bernoulli draw seeded by `seed`."""
    gen = generator(seed, device=table.device)
    dummy = np.zeros(len(ids), dtype=np.int64)
    out = []
    for x, _ in iterate_batches(ids, dummy, table, batch_size):
        spikes = model.encode(x, num_steps, gen, dtype)
        with torch.autocast(table.device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            out.append(model.class_scores(model(spikes)).sum(0).float())
    return torch.cat(out).cpu()


def accuracy(scores: torch.Tensor, labels: np.ndarray) -> float:
    return float((scores.argmax(-1).numpy() == labels).mean())


def evaluate_snn(
    model: SpikingTextCNN,
    ids: np.ndarray,
    labels: np.ndarray,
    table: torch.Tensor,
    num_steps: int,
    seed: int,
    repeats: int = 1,
    batch_size: int = 256,
    dtype: torch.dtype | None = None,
) -> dict:
    """Accuracy over `repeats` independent Bernoulli draws (seeds seed, seed+1, ...): mean, std and each draw."""
    accs = [
        accuracy(snn_counts(model, ids, table, num_steps, seed + r, batch_size, dtype), labels) for r in range(repeats)
    ]
    return {
        "acc": float(np.mean(accs)),
        "std": float(np.std(accs)),
        "accs": accs,
        "num_steps": num_steps,
        "seeds": [seed + r for r in range(repeats)],
    }


# --- the loop -------------------------------------------------------------------------------------------------


@dataclass
class FitResult:
    best_epoch: int
    best_dev: float
    history: list[dict] = field(default_factory=list)
    state_dict: dict[str, torch.Tensor] = field(default_factory=dict)


def fit(
    model: nn.Module,
    loss_fn: LossFn,
    evaluate_dev: Callable[[nn.Module], float],
    train_ids: np.ndarray,
    train_labels: np.ndarray,
    table: torch.Tensor,
    epochs: int,
    lr: float,
    weight_decay: float,
    batch_size: int,
    seed: int,
    stage: str,
    state_dir: Path,
    patience: int | None = None,
    on_epoch: Callable[[dict, list[dict]], None] | None = None,
) -> FitResult:
    """Train `model` in place and load its best-dev weights at the end. Resumes from `state_dir/<stage>_last`.

    Each history entry: {stage, epoch, train_loss, train_acc, dev_acc, seconds}. `on_epoch(entry, history)` runs
    after the epoch's state is saved (e.g. to rewrite metrics.jsonl).
    """
    params = dict(model.named_parameters())
    names = {p: n for n, p in params.items()}
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    last, best = state_dir / f"{stage}_last", state_dir / f"{stage}_best"
    history: list[dict] = []
    start, best_epoch, best_dev, stale, done = 0, -1, -1.0, 0, False
    if checkpoint_exists(last):
        tensors, meta = load_checkpoint(last)
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        load_optimizer_tensors(opt, tensors, params)
        history, start = meta["history"], meta["epoch"] + 1
        best_epoch, best_dev, stale, done = meta["best_epoch"], meta["best_dev"], meta["stale"], meta["done"]
        log.info("%s: resuming after epoch %d (best dev %.4f at epoch %d)", stage, start - 1, best_dev, best_epoch)
    stage_id = sum(stage.encode())  # a stable number per stage name, separating the random streams
    for epoch in range(start, epochs):
        if done:
            break
        t0 = time.perf_counter()
        model.train()
        gen = generator(seed, stage_id, epoch, device=table.device)
        shuffle_gen = generator(seed, stage_id, epoch, 1)
        total_loss, correct, seen = 0.0, 0, 0
        batches = iterate_batches(train_ids, train_labels, table, batch_size, shuffle=True, generator=shuffle_gen)
        n_batches = -(-len(train_ids) // batch_size)
        for x, y in tqdm(batches, total=n_batches, desc=f"{stage} {epoch + 1}/{epochs}", leave=False, disable=None):
            y = y.to(table.device)
            loss, pred = loss_fn(model, x, y, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(y)
            correct += int((pred == y).sum())
            seen += len(y)
        dev = evaluate_dev(model)
        entry = {
            "stage": stage,
            "epoch": epoch + 1,
            "train_loss": total_loss / seen,
            "train_acc": correct / seen,
            "dev_acc": dev,
            "seconds": time.perf_counter() - t0,
        }
        history.append(entry)
        if dev > best_dev:
            best_epoch, best_dev, stale = epoch + 1, dev, 0
            save_checkpoint(best, model.state_dict(), {"stage": stage, "epoch": epoch + 1, "dev_acc": dev})
        else:
            stale += 1
        done = epoch + 1 == epochs or (patience is not None and stale >= patience)
        tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
        tensors.update(optimizer_tensors(opt, names))
        save_checkpoint(
            last,
            tensors,
            {
                "stage": stage,
                "epoch": epoch,
                "history": history,
                "best_epoch": best_epoch,
                "best_dev": best_dev,
                "stale": stale,
                "done": done,
            },
        )
        log.info(
            "%s epoch %d: loss %.4f, train %.4f, dev %.4f",
            stage,
            epoch + 1,
            entry["train_loss"],
            entry["train_acc"],
            dev,
        )
        if on_epoch is not None:
            on_epoch(entry, history)
    if checkpoint_exists(best):
        weights, _ = load_checkpoint(best)
        model.load_state_dict(weights)
    return FitResult(best_epoch, best_dev, history, {k: v.clone() for k, v in model.state_dict().items()})
