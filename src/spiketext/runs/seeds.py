"""Several seeds of one configuration: one after another, or trained side by side as one stacked model, and
their mean ± std.

Each seed is a complete single-seed run in OUT/seed<S>/ (its config.json names its own seed), so a seed folder
resumes on its own or with the others. Stacked (`stack_seeds`, by default on a GPU): the CNNs not trained yet train
as one stacked model (`spiketext.core.models.stacked`, `train.fit_members`), then the SNNs fine-tune as one; conversion,
evaluation, energy and the baselines run per seed. On a CPU stacking saves nothing
(benchmarks/reproduce/stacked_seeds.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import numpy as np

from spiketext.core.runtime import resolve_device
from spiketext.io import atomic_write_json, atomic_write_text, writer_lock
from spiketext.runs.families import family_of
from spiketext.runs.folder import RESULT_ROWS, Context, results_markdown, stage_done
from spiketext.runs.ledger import TEXTCNN_PLAN, check_layout, open_run, started
from spiketext.runs.results import EnergySummary, RunResult, StageResult
from spiketext.runs.textcnn import (
    STAGES,
    energy_stage,
    finetune_stage,
    finetune_start,
    finish,
    record_cnn,
    record_finetuned,
    run_single,
    train_cnn_stage,
)
from spiketext.runs.textcnn_fit import finetune_members, train_tailored_cnns
from spiketext.settings.config import RunConfig, to_dict
from spiketext.stats import sample_std


def train_cnn_stages(ctxs: list[Context]) -> list[dict]:
    """`train_cnn_stage` for several seeds: the CNNs not trained yet train side by side as one stacked model."""
    pending = [c for c in ctxs if not stage_done(c, "cnn")]
    if len(pending) > 1:
        trained = train_tailored_cnns(pending, "cnn", [c.table for c in pending])
        for c, (model, res) in zip(pending, trained, strict=True):
            c.run.update_results("cnn", record_cnn(c, model, res))
    return [train_cnn_stage(c) for c in ctxs]


def finetune_stages(ctxs: list[Context]) -> list[dict]:
    """`finetune_stage` for several seeds: the SNNs not fine-tuned yet train side by side as one stacked model."""
    pending = [c for c in ctxs if not stage_done(c, "snn_finetuned")]
    if len(pending) > 1:
        starts = [finetune_start(c) for c in pending]
        snns = [snn for snn, _, _ in starts]
        keep = pending[0].cfg.finetune.keep_start
        fits = finetune_members(pending, snns, "snn_finetune", "snn_finetuned", keep, [d for _, d, _ in starts])
        for c, (snn, _, init), res in zip(pending, starts, fits, strict=True):
            c.run.update_results("snn_finetuned", record_finetuned(c, snn, res, init))
    return [finetune_stage(c) for c in ctxs]


def run(cfg: RunConfig, out: str | Path, restart: str | None = None) -> dict:
    """The whole method. With cfg.seeds > 1: one sub-folder per seed and mean ± std over seeds in OUT; the seeds
    train as one stacked model where `stack_seeds` says so (default: on a GPU, where it pays; not on a CPU).
    `restart`: start that stage (a name of the family's plan, `ledger.TEXTCNN_PLAN`) and the later ones over, in
    every seed. The transformer family runs its own stages (`spiketext.runs.transformer`), one seed after another."""
    single = family_of(cfg).run_single
    if cfg.seeds == 1:
        return single(cfg, out, restart=restart)
    with writer_lock(out):
        out = Path(out)
        check_layout(out, cfg.seeds)
        # each seed folder is a complete single-seed run whose config.json names its own seed
        configs = [seed_config(cfg, i) for i in range(cfg.seeds)]
        folders = [out / f"seed{c.seed}" for c in configs]
        if stacks_seeds(cfg) and single is run_single:  # the TextCNN's seeds stack
            per_seed = run_stacked(configs, folders, restart)
        else:
            per_seed = [single(c, f, restart=restart) for c, f in zip(configs, folders, strict=True)]
        return summarize_seeds(cfg, out, per_seed)


def stacks_seeds(cfg: RunConfig) -> bool:
    """Whether `run` trains cfg's seeds as one stacked model: `stack_seeds`, by default on a GPU only."""
    return cfg.seeds > 1 and (
        cfg.stack_seeds if cfg.stack_seeds is not None else resolve_device(cfg.device).type == "cuda"
    )


def run_stacked(configs: list[RunConfig], outs: list[str | Path], restart: str | None = None) -> list[dict]:
    """`run_single` for several seeds of one configuration: their CNNs train as one stacked model, then their SNNs
    fine-tune as one (`spiketext.core.models.stacked`); conversion, evaluation, energy and baselines run per seed. Each
    folder is a complete single-seed run that resumes on its own or with the others."""
    with contextlib.ExitStack() as locks:
        for o in outs:
            locks.enter_context(writer_lock(o))
        # each seed's restart settles (or rolls back) with the others: a seed refused later undoes the earlier ones
        ctxs = [
            locks.enter_context(started(open_run(c, o, restart=restart))) for c, o in zip(configs, outs, strict=True)
        ]
        return _run_stacked(ctxs)


def _run_stacked(ctxs: list[Context]) -> list[dict]:
    """The plan's stages in its order: those that stack run once for every seed, the others seed by seed."""
    stacked = {"cnn": train_cnn_stages, "finetune": finetune_stages}
    for name in TEXTCNN_PLAN.stages:
        ctxs_now = [c for c in ctxs if c.cfg.baselines] if name == "baselines" else ctxs
        if name in stacked:
            stacked[name](ctxs_now)
            if name == "finetune":
                for ctx in ctxs_now:
                    energy_stage(ctx)
        else:
            for ctx in ctxs_now:
                STAGES[name](ctx)
    return [finish(ctx) for ctx in ctxs]


def seed_config(cfg: RunConfig, i: int) -> RunConfig:
    """The single-seed run `i` of a `seeds > 1` configuration (its folder: seed{cfg.seed + i})."""
    return dataclasses.replace(cfg, seed=cfg.seed + i, seeds=1)


def summarize_seeds(cfg: RunConfig, out: Path, per_seed: list[dict] | list[RunResult]) -> dict:
    """Mean ± std over the seeds' results (each a results.json mapping or its `RunResult`) into OUT/results.json /
    .md (and OUT/config.json); returns the summary's JSON."""
    runs = [r if isinstance(r, RunResult) else RunResult.from_json(r) for r in per_seed]
    summary = seed_summary(cfg, runs).to_json()
    atomic_write_json(out / "config.json", to_dict(cfg))
    atomic_write_json(out / "results.json", summary)
    name = runs[0].extra["data"]["name"]
    atomic_write_text(out / "results.md", results_markdown(summary, f"{name}: results"))
    return summary


def seed_summary(cfg: RunConfig, runs: list[RunResult]) -> RunResult:
    """Mean ± sample std over the seeds' results (nothing written): the rows every seed has, the mean energy."""
    stages = {}
    for key in RESULT_ROWS:
        rows = [r.get(key) for r in runs]
        if all(s is not None for s in rows):
            tests = [s.test_acc for s in rows if s is not None]
            devs = [s.dev_acc for s in rows if s is not None]
            stages[key] = StageResult(
                test_acc=float(np.mean(tests)),
                dev_acc=float(np.mean(devs)),  # type: ignore[arg-type]
                test_std=sample_std(tests),
                test_accs=tuple(tests),
                note=f"mean ± sample std over {len(rows)} seeds",
            )
    seeds = tuple(cfg.seed + i for i in range(cfg.seeds))
    notes = (f"{cfg.seeds} seeds ({', '.join(map(str, seeds))}); per-seed folders seedN/",)
    return RunResult(stages, _mean_energy([r.energy for r in runs]), seeds=seeds, notes=notes)


def _mean_energy(energies: list[EnergySummary | None]) -> EnergySummary | None:
    """The seeds' energy ratios averaged (only those every seed has); None unless every seed has a report."""
    if not energies or any(e is None for e in energies):
        return None
    es = [e for e in energies if e is not None]
    keys = ("ratio_all_ops", "ratio_all_ops_padded", "ratio_all_ops_int8", "ratio_zero_skip_cnn",
            "ratio_quantized_cnn", "ratio_lut", "ratio_event_driven", "input_spikes_per_unit",
            "input_spikes_per_real_unit")  # fmt: skip
    mean: dict = {
        k: float(np.mean([getattr(e, k) for e in es])) for k in keys if all(getattr(e, k) is not None for e in es)
    }
    for name in ("ratio_memory_sram", "ratio_memory_horowitz", "first_accounting"):
        sizes = getattr(es[0], name)
        if sizes and all(set(getattr(e, name)) == set(sizes) for e in es):
            mean[name] = {s: float(np.mean([getattr(e, name)[s] for e in es])) for s in sizes}
    mean["note"] = f"mean over {len(es)} seeds; each seed's energy.md has every term"
    return EnergySummary(**mean)
