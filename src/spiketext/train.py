"""Training and evaluation loops for the CNNs and the SNN; selection on dev (DESIGN.md §1.5).

One plain loop (`fit`) serves every model: it takes a loss function, trains with AdamW, evaluates dev after each
epoch, keeps the best-dev weights, stops early after `patience` epochs without improvement, and after every epoch
saves its whole state (weights, optimizer, history) atomically. Run again after an interruption, it resumes from
the last finished epoch and hands the saved history to `on_history` first, so the metrics file is reconciled
with the state (each epoch exactly once, even after a kill between the two writes). Each epoch's randomness
(shuffling, dropout, spike draws) comes from generators seeded by (seed, stage, epoch), so a resumed run draws
exactly what an uninterrupted run would have drawn. A loss that stops being finite ends the run with one line.
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
from spiketext.encoding import binomial_rates, quantize_input
from spiketext.errors import SpiketextError
from spiketext.models.spiking import SNN_LOSSES, SpikingTextCNN
from spiketext.runtime import generator

log = logging.getLogger(__name__)

LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Generator], tuple[torch.Tensor, torch.Tensor]]


# --- losses ---------------------------------------------------------------------------------------------------


def cnn_loss(noise_steps: int = 0, input_levels: int = 0, input_domain: str = "positive") -> LossFn:
    """Cross-entropy for a CNN; with `noise_steps` T > 0 the inputs become Binomial(T, e⁺)/T rates; with
    `input_levels` n > 0 the model's input (e⁺, or s for the signed domain) is quantized to n levels per unit of
    magnitude, ⌊n·|v| + ½⌋/n: what a deterministic code (regular, ttfs) delivers in n steps."""

    def loss(model, x, y, gen):
        if input_levels:
            x = quantize_input(x, input_levels, input_domain)
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
        scores = model.class_scores(x, num_steps, gen, dtype)  # [T, B, C]
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
    out = [model.class_counts(x, num_steps, gen, dtype) for x, _ in iterate_batches(ids, dummy, table, batch_size)]
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


@dataclass(frozen=True)
class FitSettings:
    """How `fit` trains: the optimiser's settings, the epoch budget, early stopping and the random streams."""

    epochs: int
    lr: float
    weight_decay: float
    batch_size: int
    seed: int
    stage: str  # names the state files and separates the random streams of different stages
    patience: int | None = None
    keep_start: bool = False  # the starting weights are epoch 0 of the dev selection (kept unless an epoch beats them)


@dataclass
class FitResult:
    best_epoch: int
    best_dev: float
    history: list[dict] = field(default_factory=list)


def fit(
    model: nn.Module,
    loss_fn: LossFn,
    evaluate_dev: Callable[[nn.Module], float],
    *,
    train_ids: np.ndarray,
    train_labels: np.ndarray,
    table: torch.Tensor,
    settings: FitSettings,
    state_dir: Path,
    on_epoch: Callable[[dict, list[dict]], None] | None = None,
    on_history: Callable[[list[dict]], None] | None = None,
    record: Callable[[nn.Module], dict[str, float]] | None = None,
) -> FitResult:
    """Train `model` in place and load its best-dev weights at the end. Resumes from `state_dir/<stage>_last`.

    Each history entry: {stage, epoch, train_loss, train_acc, dev_acc, seconds}, plus what `record(model)`
    returns (e.g. {"test_acc": …}: recorded for reference, never used to select). `on_history(history)` runs on
    resume with the saved history (to reconcile metrics.jsonl); `on_epoch(entry, history)` after each epoch's
    state is saved.
    """
    st = settings
    stage, epochs, patience = st.stage, st.epochs, st.patience
    params = dict(model.named_parameters())
    names = {p: n for n, p in params.items()}
    opt = torch.optim.AdamW(model.parameters(), lr=st.lr, weight_decay=st.weight_decay)
    last, best = state_dir / f"{stage}_last", state_dir / f"{stage}_best"
    history: list[dict] = []
    start, best_epoch, best_dev, stale, done = 0, -1, -1.0, 0, False
    if checkpoint_exists(last):
        tensors, meta = load_checkpoint(last)
        try:
            model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
            load_optimizer_tensors(opt, tensors, params)
            history, start = list(meta["history"]), int(meta["epoch"]) + 1
            best_epoch, best_dev, stale, done = meta["best_epoch"], meta["best_dev"], meta["stale"], meta["done"]
        except (KeyError, RuntimeError, TypeError, ValueError) as e:
            raise SpiketextError(
                f"{last}.json: the resume state of stage {stage} does not fit this run ({e}); delete {last}.json "
                f"and {last.name}.safetensors to redo the stage"
            ) from e
        if not 1 <= start <= epochs or len(history) != start:
            raise SpiketextError(
                f"{last}.json: the resume state says epoch {start - 1} with {len(history)} epochs of history "
                f"(of {epochs}); it is damaged: delete {last}.json to redo stage {stage}"
            )
        log.info("%s: resuming after epoch %d (best dev %.4f at epoch %d)", stage, start - 1, best_dev, best_epoch)
        if on_history is not None:
            on_history(history)
    elif st.keep_start:
        best_epoch, best_dev = 0, evaluate_dev(model)
        save_checkpoint(best, model.state_dict(), {"stage": stage, "epoch": 0, "dev_acc": best_dev})
    stage_id = sum(stage.encode())  # a stable number per stage name, separating the random streams
    for epoch in range(start, epochs):
        if done:
            break
        t0 = time.perf_counter()
        model.train()
        gen = generator(st.seed, stage_id, epoch, device=table.device)
        shuffle_gen = generator(st.seed, stage_id, epoch, 1)
        total_loss, correct, seen = 0.0, 0, 0
        batches = iterate_batches(train_ids, train_labels, table, st.batch_size, shuffle=True, generator=shuffle_gen)
        n_batches = -(-len(train_ids) // st.batch_size)
        for x, y in tqdm(batches, total=n_batches, desc=f"{stage} {epoch + 1}/{epochs}", leave=False, disable=None):
            y = y.to(table.device)
            loss, pred = loss_fn(model, x, y, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            value = loss.item()
            if not np.isfinite(value):
                raise SpiketextError(
                    f"stage {stage}, epoch {epoch + 1}: the training loss became {value}; the run diverged "
                    f"(learning rate {st.lr:g}): lower the learning rate and start again in a new --out"
                )
            total_loss += value * len(y)
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
        if record is not None:
            entry.update(record(model))
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
    return FitResult(best_epoch, best_dev, history)
