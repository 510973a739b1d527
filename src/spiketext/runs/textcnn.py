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

from spiketext.core.frontend import FrontEnd
from spiketext.core.models.convert import NORMALIZATIONS, NORMALIZED_CHECKPOINTS, conversion_weights, convert
from spiketext.core.models.registry import build_model
from spiketext.core.models.spiking import SpikingTextCNN
from spiketext.core.models.textcnn import init_linear_weights
from spiketext.core.runtime import evaluation_seed, generator
from spiketext.data.batching import iterate_batches
from spiketext.data.prepare import raw_embedding_matrix, with_random_embeddings
from spiketext.energy.files import write_energy
from spiketext.energy.report import count_energy, energy_summary
from spiketext.errors import SpiketextError
from spiketext.io import atomic_write_json, atomic_write_text, writer_lock
from spiketext.runs.folder import Context, results_markdown, stage
from spiketext.runs.ledger import TEXTCNN_PLAN, open_run, started
from spiketext.runs.results import EnergySummary, data_warnings
from spiketext.runs.textcnn_fit import (
    cnn_result,
    finetune_snn,
    fit_cnn,
    snn_result,
    train_tailored_cnn,
)
from spiketext.runs.train import (
    FitResult,
)
from spiketext.settings.config import RunConfig

log = logging.getLogger(__name__)


# --- the stages ---------------------------------------------------------------------------------------------------


def train_cnn_stage(ctx: Context) -> dict:
    """Train the tailored CNN on e⁺ (selected on dev); write checkpoints/cnn and results["cnn"]."""

    def compute() -> dict:
        model, res = train_tailored_cnn(ctx, "cnn", ctx.table)
        return record_cnn(ctx, model, res)

    return stage(ctx, "cnn", compute)


def record_cnn(ctx: Context, model: nn.Module, res: FitResult) -> dict:
    result = cnn_result(ctx, model, ctx.table, res.best_epoch)
    ctx.save_model("cnn", model, "tailored_cnn", result)
    return result


def _train_batches(ctx: Context, table: torch.Tensor) -> Callable[[], object]:
    return lambda: (x for x, _ in iterate_batches(ctx.data.ids["train"], ctx.labels("train"), table, 512))


def convert_stage(ctx: Context, normalization: str = "none") -> dict:
    """Copy the CNN's weights into the SNN (optionally normalized); evaluate it without fine-tuning."""
    key = NORMALIZATIONS.get(normalization, "--normalization").checkpoint
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
        result = {**snn_result(ctx, snn, None), "normalization": normalization}
        ctx.save_model(key, snn, "snn", result)
        return result

    return stage(ctx, key, compute)


def finetune_stage(ctx: Context) -> dict:
    """Fine-tune the converted SNN with surrogate gradients through time (selected on dev)."""

    def compute() -> dict:
        snn, start_dev, init = finetune_start(ctx)
        res = finetune_snn(ctx, snn, "snn_finetune", "snn_finetuned", ctx.cfg.finetune.keep_start, start_dev)
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
    result = {**snn_result(ctx, snn, res.best_epoch, "; ".join(notes)), "start": init}
    ctx.save_model("snn_finetuned", snn, "snn", result)
    return result


def energy_stage(ctx: Context) -> dict:
    """Count the fine-tuned SNN's operations on the test set (the first test draw's seed); energy.* in the run."""

    def compute() -> dict:
        snn = ctx.load_model("snn_finetuned")
        ids, labels = ctx.data.ids["test"], ctx.labels("test")
        inputs = (x for x, _ in iterate_batches(ids, labels, ctx.table, ctx.cfg.eval_batch_size))
        seed = evaluation_seed("test", ctx.seed)  # the first test draw of eval_snn: the counted spikes are those
        cnn = ctx.load_model("cnn")
        report = count_energy(snn, inputs, ctx.cfg.snn.num_steps, seed, "fp32", ctx.dtype, cnn=cnn)  # type: ignore
        report.update(model="snn_finetuned", split="test", seed=seed)
        write_energy(report, ctx.run.root)
        return energy_summary(report)

    return stage(ctx, "energy", compute, checkpointed=False)


def baselines_stage(ctx: Context) -> dict:
    """docs/design.md §1.4: standard TextCNN, normalized conversions, a directly trained SNN, random embeddings."""

    def standard() -> dict:
        raw = torch.from_numpy(raw_embedding_matrix(ctx.data.vocab, ctx.data.vectors)).to(ctx.device)
        model, res = fit_cnn(ctx, "standard_cnn", "standard_cnn", raw, FrontEnd(), 51)  # the clean input
        return cnn_result(ctx, model, raw, res.best_epoch)

    def direct() -> dict:
        snn = build_model("snn", ctx.arch, ctx.cfg.snn)
        init_linear_weights(snn, generator(ctx.seed, 52, 0xC0FFEE))
        snn.to(ctx.device)
        res = finetune_snn(ctx, snn, "snn_direct")  # type: ignore[arg-type]
        return snn_result(ctx, snn, res.best_epoch)  # type: ignore[arg-type]

    stage(ctx, "standard_cnn", standard, checkpointed=False)
    for normalization in ("model", "data_max", "data_p999"):
        convert_stage(ctx, normalization)
    stage(ctx, "snn_direct", direct, checkpointed=False)
    if "random_emb_snn_finetuned" not in ctx.run.results():
        rand = dataclasses.replace(ctx, data=with_random_embeddings(ctx.data, ctx.seed), _table=None)
        cnn, res = train_tailored_cnn(rand, "random_emb_cnn", rand.table)
        ctx.run.update_results("random_emb_cnn", cnn_result(rand, cnn, rand.table, res.best_epoch))
        weights = conversion_weights(cnn, "none", _train_batches(rand, rand.table), 1.0, rand.cfg.snn.input_scale)
        snn = convert(cnn, build_model("snn", rand.arch, rand.cfg.snn).to(rand.device), weights)  # type: ignore[arg-type]
        res = finetune_snn(rand, snn, "random_emb_snn_finetune")  # type: ignore[arg-type]
        ctx.run.update_results("random_emb_snn_finetuned", snn_result(rand, snn, res.best_epoch))  # type: ignore
    return ctx.run.results()


# --- finishing a run ---------------------------------------------------------------------------------------------


def finetune_and_count(ctx: Context) -> dict:
    """The finetune stage as the plan names it: fine-tuning, then the fine-tuned SNN's energy report."""
    finetune_stage(ctx)
    return energy_stage(ctx)


# The TextCNN's stages by the names of its plan; `TEXTCNN_PLAN.stages` alone holds their order.
STAGES: dict[str, Callable[[Context], dict]] = {
    "cnn": train_cnn_stage,
    "convert": convert_stage,
    "finetune": finetune_and_count,
    "baselines": baselines_stage,
}


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
        f"{ctx.cfg.snn.encoder} input"
        if FrontEnd.of_snn(ctx.cfg.model.input_domain, ctx.cfg.snn).stochastic
        else f"{ctx.cfg.snn.encoder} (deterministic) input"
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
    results["notes"] = notes
    results["warnings"] = [dataclasses.asdict(w) for w in data_warnings(ctx.data.corpus, ctx.data.vectors.deviation)]
    atomic_write_json(ctx.run.root / "results.json", results)
    atomic_write_text(ctx.run.root / "results.md", results_markdown(results, f"{ctx.data.corpus.name}: results"))
    from spiketext.viz import curves_figure, save_figure  # matplotlib only where a figure is drawn

    save_figure(curves_figure(ctx.run.metrics()), ctx.run.root / "curves.png")
    return results


def run_single(cfg: RunConfig, out: str | Path, seed: int | None = None, restart: str | None = None) -> dict:
    """CNN -> converted SNN -> fine-tuned SNN -> energy (+ baselines) in one folder, resuming whatever is done;
    `restart`: start that stage (`TEXTCNN_PLAN.stages`) and the later ones over."""
    with writer_lock(out), started(open_run(cfg, out, seed, restart)) as ctx:
        for name in TEXTCNN_PLAN.stages:
            if name != "baselines" or cfg.baselines:
                STAGES[name](ctx)
        return finish(ctx)
