"""The method's stages on a run folder: train the CNN, convert, fine-tune, count energy, baselines.

Every stage goes through `runs.stage(ctx, key, compute)`: if the run folder already holds its result (and
checkpoint), that is returned; otherwise `compute()` runs, its checkpoint is saved, and results.json records it.
A run killed at any point resumes where it stopped. A new stage is one function here and one call in `run_single`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from spiketext.config import NORMALIZED_CHECKPOINTS, RunConfig
from spiketext.data.batching import iterate_batches
from spiketext.data.prepare import raw_embedding_matrix, with_random_embeddings
from spiketext.energy import count_energy, energy_summary
from spiketext.energy_files import write_energy
from spiketext.errors import SpiketextError
from spiketext.io import atomic_write_json, atomic_write_text, writer_lock
from spiketext.ledger import open_run, started
from spiketext.models.convert import conversion_weights, convert
from spiketext.models.registry import build_model
from spiketext.models.spiking import SpikingTextCNN
from spiketext.models.textcnn import TailoredTextCNN, init_linear_weights
from spiketext.results import EnergySummary
from spiketext.runs import Context, results_markdown, stage
from spiketext.runtime import evaluation_seed, generator
from spiketext.train import (
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
from spiketext.viz import curves_figure, save_figure

log = logging.getLogger(__name__)


# --- evaluation -------------------------------------------------------------------------------------------------


def _eval_snn(ctx: Context, model: SpikingTextCNN, split: str, repeats: int, num_steps: int | None = None) -> dict:
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


def _snn_result(ctx: Context, model: SpikingTextCNN, epoch: int | None, note: str = "") -> dict:
    dev = _eval_snn(ctx, model, "dev", ctx.cfg.finetune.dev_repeats)
    test = _eval_snn(ctx, model, "test", ctx.cfg.test_repeats)
    return {
        "dev_acc": dev["acc"],
        "test_acc": test["acc"],
        "test_std": test["std"],
        "test_accs": test["accs"],
        "test_seeds": test["seeds"],
        "num_steps": test["num_steps"],
        "epoch": epoch,
        "note": "; ".join(x for x in (note, _code_note(ctx, test)) if x),
    }


def _code_note(ctx: Context, test: dict) -> str:
    code = (
        f"T = {test['num_steps']}, deterministic {ctx.cfg.snn.encoder} code"
        if not ctx.cfg.snn.stochastic
        else f"T = {test['num_steps']}, {ctx.cfg.snn.encoder} code, test mean over {len(test['accs'])} draws"
    )
    if ctx.cfg.snn.input_noise:
        code += f", input noise σ = {ctx.cfg.snn.input_noise}"
    if ctx.arch.input_domain == "signed":
        code += ", signed input (spikes of ±1)"
    extras = [f"membrane from {ctx.cfg.snn.init_membrane}·θ"] if ctx.cfg.snn.init_membrane else []
    if ctx.cfg.snn.readout == "membrane":
        extras.append("membrane readout (non-spiking output layer, not the paper's)")
    return ", ".join([code, *extras])


def _cnn_dev(ctx: Context, table: torch.Tensor) -> Callable[[nn.Module], float]:
    ids, labels, bs = ctx.data.ids["dev"], ctx.labels("dev"), ctx.cfg.eval_batch_size
    return lambda model: accuracy(cnn_logits(model, ids, table, bs), labels)


def _cnn_test_record(ctx: Context, table: torch.Tensor) -> Callable[[nn.Module], dict[str, float]]:
    ids, labels, bs = ctx.data.ids["test"], ctx.labels("test"), ctx.cfg.eval_batch_size
    return lambda model: {"test_acc": accuracy(cnn_logits(model, ids, table, bs), labels)}


def _cnn_result(ctx: Context, model: nn.Module, table: torch.Tensor, epoch: int | None) -> dict:
    bs = ctx.cfg.eval_batch_size
    test = accuracy(cnn_logits(model, ctx.data.ids["test"], table, bs), ctx.labels("test"))
    return {"dev_acc": _cnn_dev(ctx, table)(model), "test_acc": test, "epoch": epoch}


# --- training ---------------------------------------------------------------------------------------------------


def _fit_cnn(
    ctx: Context, kind: str, stage_name: str, table: torch.Tensor, noise_steps: int, init_stream: int, levels: int = 0
) -> tuple[nn.Module, FitResult]:
    """Train a CNN of `kind` on inputs gathered from `table`, selected on dev (tailored or standard)."""
    return _fit_cnns([ctx], kind, stage_name, [table], noise_steps, init_stream, levels)[0]


def _fit_cnns(
    ctxs: list[Context],
    kind: str,
    stage_name: str,
    tables: list[torch.Tensor],
    noise_steps: int,
    init_stream: int,
    levels: int = 0,
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
    sigma = t.input_noise if kind == "tailored_cnn" else 0.0  # the baselines train on the clean input
    results = fit_members(members, cnn_loss(noise_steps, levels, ctxs[0].arch.input_domain, sigma), settings)
    return [(m.model, r) for m, r in zip(members, results, strict=True)]


def _train_tailored_cnn(ctx: Context, stage_name: str, table: torch.Tensor) -> tuple[TailoredTextCNN, FitResult]:
    return train_tailored_cnns([ctx], stage_name, [table])[0]


def train_tailored_cnns(
    ctxs: list[Context], stage_name: str, tables: list[torch.Tensor]
) -> list[tuple[TailoredTextCNN, FitResult]]:
    cfg = ctxs[0].cfg
    noise, levels = cfg.cnn_noise_steps(), cfg.cnn_input_levels()
    return _fit_cnns(ctxs, "tailored_cnn", stage_name, tables, noise, sum(stage_name.encode()), levels)  # type: ignore


def _finetune(
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
                lambda m, ctx=ctx, T=T: _eval_snn(ctx, m, "dev", ctx.cfg.finetune.dev_repeats, T)["acc"],
                _provisional(ctx, snn, stage_name, key, keep_start, start_dev),
                ctx.record_history(stage_name),
                (lambda m, ctx=ctx, T=T: {"test_acc": _eval_snn(ctx, m, "test", ctx.cfg.test_repeats, T)["acc"]})
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
            result = _snn_result(ctx, snn, entry["epoch"])
            result.update(
                partial=True,
                epochs_done=entry["epoch"],
                note=f"provisional: {entry['epoch']} of {f.epochs} epochs done; " + result["note"],
            )
            ctx.run.update_results(key, result)

    return on_epoch


# --- the stages ---------------------------------------------------------------------------------------------------


def train_cnn_stage(ctx: Context) -> dict:
    """Train the tailored CNN on e⁺ (selected on dev); write checkpoints/cnn and results["cnn"]."""

    def compute() -> dict:
        model, res = _train_tailored_cnn(ctx, "cnn", ctx.table)
        return record_cnn(ctx, model, res)

    return stage(ctx, "cnn", compute)


def record_cnn(ctx: Context, model: nn.Module, res: FitResult) -> dict:
    result = _cnn_result(ctx, model, ctx.table, res.best_epoch)
    ctx.save_model("cnn", model, "tailored_cnn", result)
    return result


def _train_batches(ctx: Context, table: torch.Tensor) -> Callable[[], object]:
    return lambda: (x for x, _ in iterate_batches(ctx.data.ids["train"], ctx.labels("train"), table, 512))


def convert_stage(ctx: Context, normalization: str = "none") -> dict:
    """Copy the CNN's weights into the SNN (optionally normalized); evaluate it without fine-tuning."""
    if normalization not in NORMALIZED_CHECKPOINTS:
        raise SpiketextError(f"normalization {normalization!r}: choose one of {', '.join(NORMALIZED_CHECKPOINTS)}")
    key = NORMALIZED_CHECKPOINTS[normalization]
    if normalization == "qcfs" and ctx.arch.activation != "qcfs":
        raise SpiketextError(
            f"{ctx.run.root}: qcfs conversion needs a CNN trained with the QCFS activation, and this run's CNN uses "
            f"{ctx.arch.activation}; choose another normalization (none, model, data_max, data_p999), or train a "
            "new run with --set model.activation=qcfs"
        )

    def compute() -> dict:
        train_cnn_stage(ctx)
        cnn = ctx.load_model("cnn")
        weights = conversion_weights(
            cnn,  # type: ignore[arg-type]
            normalization,
            _train_batches(ctx, ctx.table),  # type: ignore[arg-type]
            ctx.cfg.snn.threshold,
            ctx.cfg.snn.input_scale,
        )
        snn = convert(cnn, build_model("snn", ctx.arch, ctx.cfg.snn).to(ctx.device), weights)  # type: ignore[arg-type]
        result = {**_snn_result(ctx, snn, None), "normalization": normalization}
        ctx.save_model(key, snn, "snn", result)
        return result

    return stage(ctx, key, compute)


def finetune_stage(ctx: Context) -> dict:
    """Fine-tune the converted SNN with surrogate gradients through time (selected on dev)."""

    def compute() -> dict:
        snn, start_dev, init = finetune_start(ctx)
        res = _finetune(ctx, snn, "snn_finetune", "snn_finetuned", ctx.cfg.finetune.keep_start, start_dev)
        return record_finetuned(ctx, snn, res, init)

    return stage(ctx, "snn_finetuned", compute)


def finetune_start(ctx: Context) -> tuple[SpikingTextCNN, float, str]:
    """The converted SNN fine-tuning starts from (finetune.init, or with init = dev the candidate conversion with
    the best dev accuracy), its dev accuracy (-1 where fine-tuning runs at another T) and its normalization."""
    f, candidates = ctx.cfg.finetune, ctx.cfg.finetune_starts()
    converted = {name: convert_stage(ctx, name) for name in candidates}
    init = max(candidates, key=lambda name: converted[name]["dev_acc"])  # a tie: the earlier candidate
    snn = ctx.load_model(NORMALIZED_CHECKPOINTS[init])
    # the converted result's dev accuracy is the starting model's when fine-tuning runs at the same T
    start_dev = converted[init]["dev_acc"] if f.num_steps in (None, ctx.cfg.snn.num_steps) else -1.0
    return snn, start_dev, init  # type: ignore[return-value]


def record_finetuned(ctx: Context, snn: SpikingTextCNN, res: FitResult, init: str) -> dict:
    notes = ["the converted model: no fine-tuning epoch beat it on dev"] if res.best_epoch == 0 else []
    candidates = ctx.cfg.finetune_starts()
    if len(candidates) > 1:
        results = ctx.run.results()
        devs = ", ".join(f"{n} {100 * results[NORMALIZED_CHECKPOINTS[n]]['dev_acc']:.2f}" for n in candidates)
        notes.append(f"started from the {init} conversion, the best on dev ({devs})")
    result = {**_snn_result(ctx, snn, res.best_epoch, "; ".join(notes)), "start": init}
    ctx.save_model("snn_finetuned", snn, "snn", result)
    return result


def energy_stage(ctx: Context) -> dict:
    """Count the fine-tuned SNN's operations on the test set (the first test draw's seed); energy.* in the run."""

    def compute() -> dict:
        snn = ctx.load_model("snn_finetuned")
        ids, labels = ctx.data.ids["test"], ctx.labels("test")
        inputs = (x for x, _ in iterate_batches(ids, labels, ctx.table, ctx.cfg.eval_batch_size))
        seed = evaluation_seed("test", ctx.seed)  # the first test draw of _eval_snn: the counted spikes are those
        cnn = ctx.load_model("cnn")
        report = count_energy(snn, inputs, ctx.cfg.snn.num_steps, seed, "fp32", ctx.dtype, cnn=cnn)  # type: ignore
        report.update(model="snn_finetuned", split="test", seed=seed)
        write_energy(report, ctx.run.root)
        return energy_summary(report)

    return stage(ctx, "energy", compute, checkpointed=False)


def baselines_stage(ctx: Context) -> dict:
    """DESIGN.md §1.4: standard TextCNN, normalized conversions, a directly trained SNN, random embeddings."""

    def standard() -> dict:
        raw = torch.from_numpy(raw_embedding_matrix(ctx.data.vocab, ctx.data.vectors)).to(ctx.device)
        model, res = _fit_cnn(ctx, "standard_cnn", "standard_cnn", raw, 0, 51)
        return _cnn_result(ctx, model, raw, res.best_epoch)

    def direct() -> dict:
        snn = build_model("snn", ctx.arch, ctx.cfg.snn)
        init_linear_weights(snn, generator(ctx.seed, 52, 0xC0FFEE))
        snn.to(ctx.device)
        res = _finetune(ctx, snn, "snn_direct")  # type: ignore[arg-type]
        return _snn_result(ctx, snn, res.best_epoch)  # type: ignore[arg-type]

    stage(ctx, "standard_cnn", standard, checkpointed=False)
    for normalization in ("model", "data_max", "data_p999"):
        convert_stage(ctx, normalization)
    stage(ctx, "snn_direct", direct, checkpointed=False)
    if "random_emb_snn_finetuned" not in ctx.run.results():
        rand = dataclasses.replace(ctx, data=with_random_embeddings(ctx.data, ctx.seed), _table=None)
        cnn, res = _train_tailored_cnn(rand, "random_emb_cnn", rand.table)
        ctx.run.update_results("random_emb_cnn", _cnn_result(rand, cnn, rand.table, res.best_epoch))
        weights = conversion_weights(cnn, "none", _train_batches(rand, rand.table), 1.0, rand.cfg.snn.input_scale)
        snn = convert(cnn, build_model("snn", rand.arch, rand.cfg.snn).to(rand.device), weights)  # type: ignore[arg-type]
        res = _finetune(rand, snn, "random_emb_snn_finetune")  # type: ignore[arg-type]
        ctx.run.update_results("random_emb_snn_finetuned", _snn_result(rand, snn, res.best_epoch))  # type: ignore
    return ctx.run.results()


# --- finishing a run ---------------------------------------------------------------------------------------------


def finish(ctx: Context) -> dict:
    """results.json with the run's notes, results.md and curves.png."""
    results = ctx.run.results()
    results["seed"] = ctx.seed
    results["data"] = {
        "name": ctx.data.corpus.name,
        "split": ctx.data.corpus.split_info,
        "embeddings": ctx.data.vectors.name,
        "deviation": ctx.data.vectors.deviation,
        "skipped": ctx.data.corpus.skipped,
    }
    code = (
        f"{ctx.cfg.snn.encoder} (deterministic) input" if not ctx.cfg.snn.stochastic else f"{ctx.cfg.snn.encoder} input"
    )
    code += f" with noise σ = {ctx.cfg.snn.input_noise}" if ctx.cfg.snn.input_noise else ""
    notes = [
        f"dev-selected epochs; SNN accuracies at T = {ctx.cfg.snn.num_steps} with {code} "
        f"(seeds recorded in results.json); seed {ctx.seed}; precision {ctx.cfg.precision} "
        f"({'bf16' if ctx.dtype is not None else 'fp32'} on {ctx.device.type})"
    ]
    if "energy" in results:
        e = EnergySummary.from_json(results["energy"], str(ctx.run.root / "results.json"))
        notes.append(f"energy (test set, {e.costs}, T = {e.num_steps}): {e.story()}; every term in energy.md")
    if ctx.data.vectors.deviation:
        notes.append(f"DEVIATION: {ctx.data.vectors.deviation}")
    for path, skip in ctx.data.corpus.skipped.items():
        notes.append(f"SKIPPED: {skip['rows']} row(s) of {Path(path).name} with an empty text")
    for label, r in ctx.data.corpus.rare.items():
        notes.append(f"RARE CLASS: {label!r} in {r['rows']} training row(s), {r['reason']} (data.json)")
    results["notes"] = notes
    atomic_write_json(ctx.run.root / "results.json", results)
    atomic_write_text(ctx.run.root / "results.md", results_markdown(results, f"{ctx.data.corpus.name}: results"))
    save_figure(curves_figure(ctx.run.metrics()), ctx.run.root / "curves.png")
    return results


def run_single(cfg: RunConfig, out: str | Path, seed: int | None = None, restart: str | None = None) -> dict:
    """CNN -> converted SNN -> fine-tuned SNN -> energy (+ baselines) in one folder, resuming whatever is done;
    `restart`: start that stage (runs.STAGES) and the later ones over."""
    with writer_lock(out), started(open_run(cfg, out, seed, restart)) as ctx:
        train_cnn_stage(ctx)
        convert_stage(ctx)
        finetune_stage(ctx)
        energy_stage(ctx)
        if cfg.baselines:
            baselines_stage(ctx)
        return finish(ctx)
