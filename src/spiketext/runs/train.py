"""Training and evaluation loops for the CNNs and the SNN; selection on dev (docs/design.md §1.5).

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

from spiketext.core.checkpoint import (
    checkpoint_exists,
    load_checkpoint,
    load_optimizer_tensors,
    optimizer_tensors,
    save_checkpoint,
)
from spiketext.core.codes import Draw
from spiketext.core.frontend import FrontEnd
from spiketext.core.models import stacked
from spiketext.core.models.spiking import LOSSES, SpikingTextCNN
from spiketext.core.runtime import generator
from spiketext.data.batching import iterate_batches
from spiketext.errors import SpiketextError
from spiketext.stats import sample_std

log = logging.getLogger(__name__)
CLEAN = FrontEnd()  # e⁺ as it is

# (models, x [M, B, D, L], y [M, B], one generator per model) -> (per-model losses [M], predictions [M, B]).
# With one model it runs that model's own forward; with several, the stacked forward (`spiketext.core.models.stacked`).
LossFn = Callable[
    [list[nn.Module], torch.Tensor, torch.Tensor, list[torch.Generator]], tuple[torch.Tensor, torch.Tensor]
]


# --- losses ---------------------------------------------------------------------------------------------------


def cnn_loss(front: FrontEnd = CLEAN) -> LossFn:
    """Cross-entropy for a CNN reading its inputs through `front` (`FrontEnd.values`): dithered by its SNN's
    input noise, quantized to n levels (what a deterministic code delivers in n steps), or as the Binomial(T, e⁺)/T
    rates of T Bernoulli steps; the clean e⁺ by default."""

    def loss(models, x, y, gens):
        xs = [front.values(xm, g) for xm, g in zip(x, gens, strict=True)]  # each member's noise, then its dropout
        if len(models) == 1:
            logits = models[0](xs[0], gens[0]).unsqueeze(0)  # [1, B, C]
        else:
            logits = stacked.cnn_logits(models, torch.stack(xs), gens)  # [M, B, C]
        losses = torch.stack([nn.functional.cross_entropy(logits[j], y[j]) for j in range(len(models))])
        return losses, logits.argmax(-1)

    return loss


def snn_loss(num_steps: int, dtype: torch.dtype | None, kind: str = "rate") -> LossFn:
    """`rate`: per-step cross-entropy averaged over T (docs/design.md §1.3); `count`: cross-entropy on the T-averaged
    scores. Either way BPTT runs through all T steps."""
    criterion = LOSSES.get(kind, "finetune.loss")

    def loss(models, x, y, gens):
        if len(models) == 1:
            scores = models[0].class_scores(x[0], Draw(num_steps, gens[0], dtype)).unsqueeze(1)  # [T, 1, B, C]
        else:
            scores = stacked.snn_class_scores(models, x, num_steps, gens, dtype)  # [T, M, B, C]
        losses = torch.stack([criterion(scores[:, j], y[j]) for j in range(len(models))])
        return losses, scores.sum(0).argmax(-1)

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
    draw = Draw(num_steps, gen, dtype)
    out = [model.class_counts(x, draw) for x, _ in iterate_batches(ids, dummy, table, batch_size)]
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
        "std": sample_std(accs),
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


@dataclass(frozen=True)
class Member:
    """One model of a (stacked) fit: its own seed, training data, dev evaluation, state folder and callbacks."""

    model: nn.Module
    seed: int
    train_ids: np.ndarray
    train_labels: np.ndarray
    table: torch.Tensor  # [V, D] on the training device
    state_dir: Path
    evaluate_dev: Callable[[nn.Module], float]
    on_epoch: Callable[[dict, list[dict]], None] | None = None
    on_history: Callable[[list[dict]], None] | None = None
    record: Callable[[nn.Module], dict[str, float]] | None = None


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
    member = Member(
        model, settings.seed, train_ids, train_labels, table, state_dir, evaluate_dev, on_epoch, on_history, record
    )
    return fit_members([member], loss_fn, settings)[0]


@dataclass
class _Progress:
    """Where one member's training stands (what its `<stage>_last` state file holds)."""

    opt: torch.optim.Optimizer
    names: dict
    start: int = 0
    best_epoch: int = -1
    best_dev: float = -1.0
    stale: int = 0
    done: bool = False
    history: list[dict] = field(default_factory=list)


def _resume(m: Member, st: FitSettings) -> _Progress:
    params = dict(m.model.named_parameters())
    opt = torch.optim.AdamW(m.model.parameters(), lr=st.lr, weight_decay=st.weight_decay)
    pr = _Progress(opt, {p: n for n, p in params.items()})
    last, best = m.state_dir / f"{st.stage}_last", m.state_dir / f"{st.stage}_best"
    if checkpoint_exists(last):
        tensors, meta = load_checkpoint(last)
        try:
            m.model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
            load_optimizer_tensors(opt, tensors, params)
            pr.history, pr.start = list(meta["history"]), int(meta["epoch"]) + 1
            pr.best_epoch, pr.best_dev, pr.stale, pr.done = (
                meta["best_epoch"],
                meta["best_dev"],
                meta["stale"],
                meta["done"],
            )
        except (KeyError, RuntimeError, TypeError, ValueError) as e:
            raise SpiketextError(
                f"{last}.json: the resume state of stage {st.stage} does not fit this run ({e}); delete {last}.json "
                f"and {last.name}.safetensors to redo the stage"
            ) from e
        if not 1 <= pr.start <= st.epochs or len(pr.history) != pr.start:
            raise SpiketextError(
                f"{last}.json: the resume state says epoch {pr.start - 1} with {len(pr.history)} epochs of history "
                f"(of {st.epochs}); it is damaged: delete {last}.json to redo stage {st.stage}"
            )
        log.info("%s: resuming after epoch %d (best dev %.4f at epoch %d)", st.stage, pr.start - 1, pr.best_dev,
                 pr.best_epoch)  # fmt: skip
        if m.on_history is not None:
            m.on_history(pr.history)
    elif st.keep_start:
        pr.best_epoch, pr.best_dev = 0, m.evaluate_dev(m.model)
        save_checkpoint(best, m.model.state_dict(), {"stage": st.stage, "epoch": 0, "dev_acc": pr.best_dev})
    return pr


def _end_epoch(m: Member, pr: _Progress, st: FitSettings, epoch: int, loss: float, acc: float, t0: float) -> None:
    """Evaluate dev, record the epoch, keep the best weights, decide on stopping, save the resume state."""
    dev = m.evaluate_dev(m.model)
    entry = {"stage": st.stage, "epoch": epoch + 1, "train_loss": loss, "train_acc": acc, "dev_acc": dev,
             "seconds": time.perf_counter() - t0}  # fmt: skip
    if m.record is not None:
        entry.update(m.record(m.model))
    pr.history.append(entry)
    if dev > pr.best_dev:
        pr.best_epoch, pr.best_dev, pr.stale = epoch + 1, dev, 0
        best = m.state_dir / f"{st.stage}_best"
        save_checkpoint(best, m.model.state_dict(), {"stage": st.stage, "epoch": epoch + 1, "dev_acc": dev})
    else:
        pr.stale += 1
    pr.done = epoch + 1 == st.epochs or (st.patience is not None and pr.stale >= st.patience)
    tensors = {f"model.{k}": v for k, v in m.model.state_dict().items()}
    tensors.update(optimizer_tensors(pr.opt, pr.names))
    meta = {"stage": st.stage, "epoch": epoch, "history": pr.history, "best_epoch": pr.best_epoch,
            "best_dev": pr.best_dev, "stale": pr.stale, "done": pr.done}  # fmt: skip
    save_checkpoint(m.state_dir / f"{st.stage}_last", tensors, meta)
    log.info("%s epoch %d: loss %.4f, train %.4f, dev %.4f", st.stage, epoch + 1, loss, acc, dev)
    if m.on_epoch is not None:
        m.on_epoch(entry, pr.history)


def _epoch(
    members: list[Member],
    progress: list[_Progress],
    streams: list,
    gens: list[torch.Generator],
    loss_fn: LossFn,
    st: FitSettings,
    epoch: int,
    device: torch.device,
    desc: str,
) -> tuple[list[float], list[float]]:
    """One epoch of the active members as one stacked forward/backward per batch: each one's mean loss and
    training accuracy. A loss that stops being finite ends the run with one line naming the seeds."""
    models = [m.model for m in members]
    for model in models:
        model.train()
    total_loss, correct, seen = torch.zeros(len(members), dtype=torch.float64), [0] * len(members), 0
    n_batches = -(-len(members[0].train_ids) // st.batch_size)
    for batch in tqdm(zip(*streams, strict=True), total=n_batches, desc=desc, leave=False, disable=None):
        x = torch.stack([b[0] for b in batch])  # [M, B, D, L]
        y = torch.stack([b[1] for b in batch]).to(device)  # [M, B]
        losses, pred = loss_fn(models, x, y, gens)
        for pr in progress:
            pr.opt.zero_grad(set_to_none=True)
        losses.sum().backward()  # the members share no parameter: each gets its own loss's gradient
        for pr in progress:
            pr.opt.step()
        values = losses.detach().double().cpu()
        if not bool(torch.isfinite(values).all()):
            bad = [m.seed for m, v in zip(members, values.tolist(), strict=True) if not np.isfinite(v)]
            raise SpiketextError(
                f"stage {st.stage}, epoch {epoch + 1}: the training loss became {values.max().item()} (seed "
                f"{', '.join(map(str, bad))}); the run diverged (learning rate {st.lr:g}): lower the learning "
                "rate and start again in a new --out"
            )
        total_loss += values * y.shape[1]
        correct = [c + h for c, h in zip(correct, (pred == y).sum(1).tolist(), strict=True)]
        seen += y.shape[1]
    return [float(v) / seen for v in total_loss], [c / seen for c in correct]


def fit_members(members: list[Member], loss_fn: LossFn, settings: FitSettings) -> list[FitResult]:
    """Train M models of one architecture side by side (seeds as one stacked model: `spiketext.core.models.stacked`).

    Each member has its own optimizer, data order, dropout and spike draws (generators seeded by its own seed),
    dev selection, early stop and resume state in its own `state_dir`: a member computes what `fit` computes for it
    alone, up to the summation order of the stacked kernels. Every batch, the members that are still training run
    as one stacked forward/backward; a member that stops early leaves the stack. After a kill the members resume
    from their own states, each from its own epoch. With one member this is `fit` exactly.
    `loss_fn(models, x [M, B, D, L], y [M, B], generators)` -> (per-member losses [M], predictions [M, B]).
    """
    st = settings
    progress = [_resume(m, st) for m in members]
    stage_id = sum(st.stage.encode())  # a stable number per stage name, separating the random streams
    for epoch in range(min(pr.start for pr in progress), st.epochs):
        active = [i for i, pr in enumerate(progress) if not pr.done and pr.start <= epoch]
        if not active:
            break
        t0 = time.perf_counter()
        device = members[active[0]].table.device
        gens = [generator(members[i].seed, stage_id, epoch, device=device) for i in active]
        streams = [
            iterate_batches(
                m.train_ids,
                m.train_labels,
                m.table,
                st.batch_size,
                shuffle=True,
                generator=generator(m.seed, stage_id, epoch, 1),
            )  # fmt: skip
            for m in (members[i] for i in active)
        ]
        desc = f"{st.stage} {epoch + 1}/{st.epochs}" + (f" ×{len(active)}" if len(members) > 1 else "")
        losses, accs = _epoch([members[i] for i in active], [progress[i] for i in active], streams, gens, loss_fn,
                              st, epoch, device, desc)  # fmt: skip
        for j, i in enumerate(active):
            _end_epoch(members[i], progress[i], st, epoch, losses[j], accs[j], t0)
    results = []
    for m, pr in zip(members, progress, strict=True):
        best = m.state_dir / f"{st.stage}_best"
        if checkpoint_exists(best):
            weights, _ = load_checkpoint(best)
            m.model.load_state_dict(weights)
        results.append(FitResult(pr.best_epoch, pr.best_dev, pr.history))
    return results
