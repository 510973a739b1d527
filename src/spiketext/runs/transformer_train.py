"""Training and evaluation for the transformer family: fine-tuning the ANN, then quantization-aware training of the
QANN distilled from it (docs/design.md §1.10).

One plain loop (`fit_transformer`, in the style of torchtune's recipes): AdamW on the trainable parameters, a linear
warm-up over `warmup` of the steps then a linear decay to zero, gradients clipped at norm 1, dev accuracy after
every epoch, the best-dev weights kept. After every epoch the whole state (trainable weights, optimizer, schedule
position, history) is saved atomically; run again after a kill, it resumes after the last finished epoch, and
because each epoch's shuffling and dropout come from (seed, stage, epoch) it ends with the numbers of an
uninterrupted run. A loss that stops being finite ends the run with one line.

Distillation (the QANN): loss = (1 − w)·CE(labels) + w·KL(p_teacher ‖ p_student), the teacher's logits computed
once for the training split (no dropout).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from spiketext.core.checkpoint import (
    checkpoint_exists,
    load_checkpoint,
    load_optimizer_tensors,
    optimizer_tensors,
    save_checkpoint,
)
from spiketext.core.runtime import generator, seed_from
from spiketext.data.wordpiece import PieceIds, piece_batches
from spiketext.errors import SpiketextError
from spiketext.runs.train import FitResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransformerFit:
    """How `fit_transformer` trains one stage."""

    stage: str  # names the state files and separates the random streams of different stages
    epochs: int
    lr: float
    weight_decay: float
    batch_size: int
    warmup: float
    seed: int
    distill: float = 0.0  # w: the weight of the teacher's soft labels


@torch.no_grad()
def predict_logits(model: nn.Module, data: PieceIds, batch_size: int = 64) -> torch.Tensor:
    """[N, C] logits in file order (eval mode; batches of similar length)."""
    was = model.training
    model.eval()
    dummy = np.zeros(len(data), dtype=np.int64)
    out = torch.empty(0)
    for ids, mask, _, rows in piece_batches(data, dummy, batch_size):
        logits = model(ids, mask).float()
        if out.numel() == 0:
            out = torch.empty(len(data), logits.shape[1])
        out[torch.from_numpy(rows)] = logits
    model.train(was)
    return out


def schedule(step: int, total: int, warmup: float) -> float:
    """The learning rate's factor at `step` of `total`: linear warm-up, then linear decay to 0."""
    ramp = max(1, int(total * warmup))
    if step < ramp:
        return (step + 1) / ramp
    return max(0.0, (total - step) / max(1, total - ramp))


def _trainable(model: nn.Module) -> dict[str, nn.Parameter]:
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def fit_transformer(
    model: nn.Module,
    fit: TransformerFit,
    train: PieceIds,
    labels: np.ndarray,
    evaluate_dev: Callable[[nn.Module], float],
    state_dir: Path,
    teacher_logits: torch.Tensor | None = None,
    on_epoch: Callable[[dict, list[dict]], None] | None = None,
) -> FitResult:
    """Train `model` in place (its trainable parameters) and load its best-dev weights at the end; resumes from
    `state_dir/<stage>_last`. `teacher_logits` [N, C] (train split, file order) for distillation."""
    params = _trainable(model)
    opt = torch.optim.AdamW(params.values(), lr=fit.lr, weight_decay=fit.weight_decay)
    last, best = state_dir / f"{fit.stage}_last", state_dir / f"{fit.stage}_best"
    history, start, best_epoch, best_dev = _resume(model, opt, params, last, fit.stage)
    for epoch in range(start, fit.epochs):
        t0 = time.perf_counter()
        loss, acc = _train_epoch(model, opt, params, fit, train, labels, epoch, teacher_logits)
        dev = evaluate_dev(model)
        entry = {"stage": fit.stage, "epoch": epoch + 1, "train_loss": loss, "train_acc": acc, "dev_acc": dev,
                 "seconds": time.perf_counter() - t0}  # fmt: skip
        history.append(entry)
        weights = {n: p.detach() for n, p in params.items()}
        if dev > best_dev:
            best_epoch, best_dev = epoch + 1, dev
            save_checkpoint(best, weights, {"stage": fit.stage, "epoch": epoch + 1, "dev_acc": dev})
        state = {f"model.{n}": w for n, w in weights.items()} | optimizer_tensors(
            opt, {p: n for n, p in params.items()}
        )
        meta = {"stage": fit.stage, "epoch": epoch, "history": history, "best_epoch": best_epoch, "best_dev": best_dev}
        save_checkpoint(last, state, meta)
        log.info("%s epoch %d: loss %.4f, train %.4f, dev %.4f", fit.stage, epoch + 1, loss, acc, dev)
        if on_epoch is not None:
            on_epoch(entry, history)
    if checkpoint_exists(best):
        weights, _ = load_checkpoint(best)
        model.load_state_dict(weights, strict=False)
    return FitResult(best_epoch, best_dev, history)


def _resume(
    model: nn.Module, opt: torch.optim.Optimizer, params: dict[str, nn.Parameter], last: Path, stage: str
) -> tuple[list[dict], int, int, float]:
    """(history, the next epoch, the best epoch, its dev accuracy) from the resume state `last`, if there is one."""
    if not checkpoint_exists(last):
        return [], 0, -1, -1.0
    tensors, meta = load_checkpoint(last)
    try:
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, strict=False)
        load_optimizer_tensors(opt, tensors, params)
        history, start = list(meta["history"]), int(meta["epoch"]) + 1
        resumed = history, start, int(meta["best_epoch"]), float(meta["best_dev"])
    except (KeyError, RuntimeError, TypeError, ValueError) as e:
        raise SpiketextError(
            f"{last}.json: the resume state of stage {stage} does not fit this run ({e}); delete it to redo the stage"
        ) from e
    log.info("%s: resuming after epoch %d", stage, start)
    return resumed


def _train_epoch(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    params: dict[str, nn.Parameter],
    fit: TransformerFit,
    train: PieceIds,
    labels: np.ndarray,
    epoch: int,
    teacher_logits: torch.Tensor | None,
) -> tuple[float, float]:
    """One epoch: shuffled length-bucketed batches and dropout from (seed, stage, epoch); mean loss and accuracy."""
    stage_id = sum(fit.stage.encode())
    n_batches = -(-len(train) // fit.batch_size)
    total = n_batches * fit.epochs
    torch.manual_seed(seed_from(fit.seed, stage_id, epoch, 2))  # dropout: the epoch's own stream
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    batches = piece_batches(train, labels, fit.batch_size, generator(fit.seed, stage_id, epoch, 1))
    desc = f"{fit.stage} {epoch + 1}/{fit.epochs}"
    for i, (ids, mask, y, rows) in enumerate(tqdm(batches, total=n_batches, desc=desc, leave=False, disable=None)):
        for group in opt.param_groups:
            group["lr"] = fit.lr * schedule(epoch * n_batches + i, total, fit.warmup)
        logits = model(ids, mask)
        loss = F.cross_entropy(logits, y)
        if teacher_logits is not None and fit.distill > 0:
            soft = teacher_logits[torch.from_numpy(rows)].softmax(-1)
            loss = (1 - fit.distill) * loss + fit.distill * F.kl_div(
                logits.log_softmax(-1), soft, reduction="batchmean"
            )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params.values(), 1.0)
        opt.step()
        if not torch.isfinite(loss):
            raise SpiketextError(
                f"stage {fit.stage}, epoch {epoch + 1}: the training loss became {loss.item()}; the run diverged "
                f"(learning rate {fit.lr:g}): lower it and start again in a new --out"
            )
        total_loss += loss.item() * len(y)
        correct += int((logits.argmax(-1) == y).sum())
        seen += len(y)
    return total_loss / seen, correct / seen
