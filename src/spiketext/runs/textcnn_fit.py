"""Training and evaluating the TextCNN family's models for its stages (`spiketext.runs.textcnn`): the tailored CNN
(alone or several seeds stacked), fine-tuning the SNN, evaluation over seeded draws, and each model's results row."""

from __future__ import annotations

import logging
from collections.abc import Callable

import torch
from torch import nn

from spiketext.core.codes import is_signed
from spiketext.core.frontend import FrontEnd
from spiketext.core.models.registry import build_model
from spiketext.core.models.spiking import SpikingTextCNN
from spiketext.core.models.textcnn import TailoredTextCNN, init_linear_weights
from spiketext.core.runtime import evaluation_seed, generator
from spiketext.runs.folder import Context
from spiketext.runs.train import (
    FitResult,
    FitSettings,
    Member,
    accuracy,
    cnn_logits,
    cnn_loss,
    evaluate_snn,
    fit_members,
    snn_loss,
)

log = logging.getLogger(__name__)


# --- evaluation -------------------------------------------------------------------------------------------------


def eval_snn(ctx: Context, model: SpikingTextCNN, split: str, repeats: int, num_steps: int | None = None) -> dict:
    # Fixed evaluation seeds per split (recorded with the numbers); dev uses the same draw every epoch. A
    # deterministic code gives the same number every draw: one is enough.
    repeats = repeats if model.stochastic else 1
    return evaluate_snn(
        model,
        ctx.data.ids[split],
        ctx.labels(split),
        ctx.table,
        num_steps or ctx.cfg.snn.num_steps,
        evaluation_seed(split, ctx.seed),
        repeats,
        ctx.cfg.eval_batch_size,
        ctx.dtype,
    )


def snn_result(ctx: Context, model: SpikingTextCNN, epoch: int | None, note: str = "") -> dict:
    dev = eval_snn(ctx, model, "dev", ctx.cfg.finetune.dev_repeats)
    test = eval_snn(ctx, model, "test", ctx.cfg.test_repeats)
    return {
        "dev_acc": dev["acc"],
        "test_acc": test["acc"],
        "test_std": test["std"],
        "test_accs": test["accs"],
        "test_seeds": test["seeds"],
        "num_steps": test["num_steps"],
        "epoch": epoch,
        "note": "; ".join(x for x in (note, _code_note(ctx, model, test)) if x),
    }


def _code_note(ctx: Context, model: SpikingTextCNN, test: dict) -> str:
    code = (
        f"T = {test['num_steps']}, deterministic {ctx.cfg.snn.encoder} code"
        if not model.stochastic
        else f"T = {test['num_steps']}, {ctx.cfg.snn.encoder} code, test mean over {len(test['accs'])} draws"
    )
    if ctx.cfg.snn.input_noise:
        code += f", input noise σ = {ctx.cfg.snn.input_noise}"
    if is_signed(ctx.arch.input_domain):
        code += ", signed input (spikes of ±1)"
    extras = [f"membrane from {ctx.cfg.snn.init_membrane}·θ"] if ctx.cfg.snn.init_membrane else []
    if not model.spiking_output:
        extras.append(f"{ctx.cfg.snn.readout} readout (non-spiking output layer, not the paper's)")
    return ", ".join([code, *extras])


def _cnn_dev(ctx: Context, table: torch.Tensor) -> Callable[[nn.Module], float]:
    ids, labels, bs = ctx.data.ids["dev"], ctx.labels("dev"), ctx.cfg.eval_batch_size
    return lambda model: accuracy(cnn_logits(model, ids, table, bs), labels)


def _cnn_test_record(ctx: Context, table: torch.Tensor) -> Callable[[nn.Module], dict[str, float]]:
    ids, labels, bs = ctx.data.ids["test"], ctx.labels("test"), ctx.cfg.eval_batch_size
    return lambda model: {"test_acc": accuracy(cnn_logits(model, ids, table, bs), labels)}


def cnn_result(ctx: Context, model: nn.Module, table: torch.Tensor, epoch: int | None) -> dict:
    bs = ctx.cfg.eval_batch_size
    test = accuracy(cnn_logits(model, ctx.data.ids["test"], table, bs), ctx.labels("test"))
    return {"dev_acc": _cnn_dev(ctx, table)(model), "test_acc": test, "epoch": epoch}


# --- training ---------------------------------------------------------------------------------------------------


def fit_cnn(
    ctx: Context, kind: str, stage_name: str, table: torch.Tensor, front: FrontEnd, init_stream: int
) -> tuple[nn.Module, FitResult]:
    """Train a CNN of `kind` reading `front` on inputs gathered from `table`, selected on dev."""
    return _fit_cnns([ctx], kind, stage_name, [table], front, init_stream)[0]


def _fit_cnns(
    ctxs: list[Context], kind: str, stage_name: str, tables: list[torch.Tensor], front: FrontEnd, init_stream: int
) -> list[tuple[nn.Module, FitResult]]:
    """One CNN per context (seed), trained side by side as one stacked model (`train.fit_members`)."""
    members, t = [], ctxs[0].cfg.cnn
    for ctx, table in zip(ctxs, tables, strict=True):
        model = build_model(kind, ctx.arch)
        init_linear_weights(model, generator(ctx.seed, init_stream, 0xC0FFEE))  # on the CPU: same init anywhere
        model.to(ctx.device)
        members.append(
            Member(
                model,
                ctx.seed,
                ctx.data.ids["train"],
                ctx.labels("train"),
                table,
                ctx.run.state,
                _cnn_dev(ctx, table),
                ctx.on_epoch(stage_name),
                ctx.record_history(stage_name),
                _cnn_test_record(ctx, table) if t.record_test else None,
            )
        )
    cfg = ctxs[0].cfg
    settings = FitSettings(t.epochs, cfg.cnn_lr(), t.weight_decay, t.batch_size, ctxs[0].seed, stage_name, t.patience)
    results = fit_members(members, cnn_loss(front), settings)
    return [(m.model, r) for m, r in zip(members, results, strict=True)]


def train_tailored_cnn(ctx: Context, stage_name: str, table: torch.Tensor) -> tuple[TailoredTextCNN, FitResult]:
    return train_tailored_cnns([ctx], stage_name, [table])[0]


def train_tailored_cnns(
    ctxs: list[Context], stage_name: str, tables: list[torch.Tensor]
) -> list[tuple[TailoredTextCNN, FitResult]]:
    front = FrontEnd.of_cnn(ctxs[0].cfg)  # what its SNN will read, without the spikes
    return _fit_cnns(ctxs, "tailored_cnn", stage_name, tables, front, sum(stage_name.encode()))  # type: ignore


def finetune_snn(
    ctx: Context,
    snn: SpikingTextCNN,
    stage_name: str,
    key: str | None = None,
    keep_start: bool = False,
    start_dev: float = -1.0,
) -> FitResult:
    """Fine-tune in place. With `key`, each new best-dev epoch is tested at once and stored as a provisional
    results[key] (marked "partial"), so a run stopped early still reports its dev-selected test accuracy; with
    `keep_start`, only an epoch that beats the starting model's dev accuracy `start_dev` counts as new best."""
    return finetune_members([ctx], [snn], stage_name, key, keep_start, [start_dev])[0]


def finetune_members(
    ctxs: list[Context],
    snns: list[SpikingTextCNN],
    stage_name: str,
    key: str | None,
    keep_start: bool,
    start_devs: list[float],
) -> list[FitResult]:
    """`_finetune` for one SNN per context (seed), side by side as one stacked model (`train.fit_members`)."""
    members = []
    for ctx, snn, start_dev in zip(ctxs, snns, start_devs, strict=True):
        f = ctx.cfg.finetune
        T = f.num_steps or ctx.cfg.snn.num_steps
        members.append(
            Member(
                snn,
                ctx.seed,
                ctx.data.ids["train"],
                ctx.labels("train"),
                ctx.table,
                ctx.run.state,
                lambda m, ctx=ctx, T=T: eval_snn(ctx, m, "dev", ctx.cfg.finetune.dev_repeats, T)["acc"],
                _provisional(ctx, snn, stage_name, key, keep_start, start_dev),
                ctx.record_history(stage_name),
                (lambda m, ctx=ctx, T=T: {"test_acc": eval_snn(ctx, m, "test", ctx.cfg.test_repeats, T)["acc"]})
                if f.record_test
                else None,
            )
        )
    ctx, f = ctxs[0], ctxs[0].cfg.finetune
    T = f.num_steps or ctx.cfg.snn.num_steps
    settings = FitSettings(f.epochs, f.lr, f.weight_decay, f.batch_size, ctx.seed, stage_name, f.patience, keep_start)
    return fit_members(members, snn_loss(T, ctx.dtype, f.loss), settings)


def _provisional(
    ctx: Context, snn: SpikingTextCNN, stage_name: str, key: str | None, keep_start: bool, start_dev: float
) -> Callable[[dict, list[dict]], None]:
    """The epoch callback of fine-tuning: metrics, and with `key` each new best-dev epoch tested at once and stored
    as a provisional results[key] (marked "partial")."""
    f, log_epoch = ctx.cfg.finetune, ctx.on_epoch(stage_name)

    def on_epoch(entry: dict, history: list[dict]) -> None:
        log_epoch(entry, history)
        best = max([h["dev_acc"] for h in history[:-1]] + [start_dev if keep_start else -1.0])
        if key is not None and entry["dev_acc"] > best:
            result = snn_result(ctx, snn, entry["epoch"])
            result.update(
                partial=True,
                epochs_done=entry["epoch"],
                note=f"provisional: {entry['epoch']} of {f.epochs} epochs done; " + result["note"],
            )
            ctx.run.update_results(key, result)

    return on_epoch
