"""The Python API: one function per pipeline stage. The only place that unpacks a configuration.

from spiketext import api
from spiketext.config import DataConfig, build_run_config

results = api.run(build_run_config("quick", overrides={"data": {"dataset": "sst2"}}), "runs/sst2")
model = api.load_model("runs/sst2")                     # the fine-tuned SNN of a run folder
api.classify(model, ["a gorgeous, witty film", "a dull mess"])
data = api.load_data(DataConfig(dataset="mr"))          # tokens, vocabulary, e⁺ table [V, D], ids [N, L]
for x, y in api.batches(data, "train", batch_size=32, shuffle=True, seed=0):  # x [B, D, L], y [B]
    ...
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from spiketext.checkpoint import atomic_write_json, atomic_write_text, checkpoint_exists, load_checkpoint
from spiketext.config import DataConfig, RunConfig, deep_merge, from_dict, set_nested, to_dict
from spiketext.data.batching import iterate_batches
from spiketext.data.corpus import Corpus, load_builtin, load_files
from spiketext.data.describe import describe
from spiketext.data.embeddings import export_vectors
from spiketext.data.prepare import PreparedData, prepare, raw_embedding_matrix, with_random_embeddings
from spiketext.data.sources import DATASETS, locate_files
from spiketext.energy import COSTS, SNNCounter, energy_markdown, energy_report, plot_energy
from spiketext.errors import SpiketextError
from spiketext.inference import ModelBundle, build_model, load_bundle, model_meta, save_bundle
from spiketext.inference import classify as classify_texts
from spiketext.models.convert import convert, data_based_scales, model_based_scales, normalized_weights
from spiketext.models.spiking import SpikingTextCNN
from spiketext.models.textcnn import TailoredTextCNN, init_linear_weights
from spiketext.runs import RESULT_ROWS, RunDir, read_json, results_markdown
from spiketext.train import (
    FitResult,
    accuracy,
    autocast_dtype,
    cnn_logits,
    cnn_loss,
    evaluate_snn,
    fit,
    generator,
    resolve_device,
    snn_loss,
    tune_cpu_allocator,
)
from spiketext.viz import plot_attack, plot_curves, plot_raster, plot_sweep

log = logging.getLogger(__name__)


def load_corpus(cfg: DataConfig) -> Corpus:
    """Raw texts and class ids for train/dev/test, from a built-in data set or your own files."""
    if cfg.dataset is not None:
        return load_builtin(
            DATASETS[cfg.dataset],
            cfg.resolved_data_dir(),
            cfg.resolved_cache_dir(),
            cfg.split_seed,
            cfg.test_fraction,
            cfg.dev_fraction,
        )
    return load_files(
        cfg.train,  # type: ignore[arg-type]
        cfg.dev,
        cfg.test,
        encoding=cfg.encoding,
        text_column=cfg.text_column,
        label_column=cfg.label_column,
        split_seed=cfg.split_seed,
        test_fraction=cfg.test_fraction,
        dev_fraction=cfg.dev_fraction,
    )


def load_data(cfg: DataConfig, seed: int = 0) -> PreparedData:
    """Corpus -> tokens, training vocabulary, positive embedding table [V, D] and ids [N, L] per split.

    `seed` seeds anything trained from the data (skip-gram vectors for Chinese).
    """
    corpus = load_corpus(cfg)
    return prepare(
        corpus,
        embeddings=cfg.embeddings,
        cache_dir=cfg.resolved_cache_dir(),
        language=cfg.resolved_language(),
        max_len=cfg.max_len,
        clip=cfg.clip,
        skipgram_dim=cfg.skipgram_dim,
        skipgram_epochs=cfg.skipgram_epochs,
        skipgram_window=cfg.skipgram_window,
        skipgram_min_count=cfg.skipgram_min_count,
        seed=seed,
    )


def describe_data(cfg: DataConfig) -> dict:
    """Sizes, class counts, token lengths, L and OOV rates (see `spiketext.data.describe.describe`)."""
    return describe(load_data(cfg))


def fetch_dataset(name: str, cfg: DataConfig | None = None) -> dict[str, str]:
    """Make sure a built-in data set's files are local (downloading and checking them); returns their paths."""
    cfg = cfg or DataConfig(dataset=name)
    paths = locate_files(DATASETS[name], cfg.resolved_data_dir(), cfg.resolved_cache_dir())
    return {k: str(v) for k, v in paths.items()}


def batches(
    data: PreparedData,
    split: str,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(x [B, D, L] positive embeddings, y [B]) for one split, gathered batch by batch (never the whole set).

    With `shuffle`, the order is a permutation drawn from a generator seeded with `seed`.
    """
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    table = torch.from_numpy(data.embeddings)
    return iterate_batches(
        data.ids[split],
        data.corpus.splits[split].labels,
        table,
        batch_size,
        shuffle=shuffle,
        generator=generator,
    )


# --- the pipeline ---------------------------------------------------------------------------------------------


@dataclass
class Context:
    """What every stage needs: the config, the run folder, the prepared data and the device."""

    cfg: RunConfig
    run: RunDir
    data: PreparedData
    device: torch.device
    dtype: torch.dtype | None  # autocast dtype for the SNN (None: fp32)
    seed: int

    @property
    def table(self) -> torch.Tensor:
        return torch.from_numpy(self.data.embeddings).to(self.device)

    def labels(self, split: str) -> np.ndarray:
        return self.data.corpus.splits[split].labels

    def on_epoch(self, stage: str):
        def callback(entry: dict, history: list[dict]) -> None:
            self.run.write_metrics(stage, history)
            log.info("%s epoch %d: dev %.4f", stage, entry["epoch"], entry["dev_acc"])

        return callback


def _arch(ctx: Context) -> dict:
    m = ctx.cfg.model
    return {
        "dim": ctx.data.dim,
        "num_classes": ctx.data.corpus.num_classes,
        "num_filters": m.num_filters,
        "kernel_sizes": list(m.kernel_sizes),
        "neurons_per_class": m.neurons_per_class,
        "dropout": m.dropout,
        "zero_mean_filters": m.zero_mean_filters,
    }


def _data_meta(ctx: Context) -> dict:
    d = ctx.data
    return {
        "language": d.language,
        "max_len": d.max_len,
        "embeddings": d.vectors.name,
        "input": "positive",
        "transform": dataclasses.asdict(d.transform),
        "vocab": d.vocab.itos,
        "labels": d.corpus.labels,
        "label_descriptions": d.corpus.label_descriptions,
    }


def _snn_meta(cfg: RunConfig) -> dict:
    return dataclasses.asdict(cfg.snn)


def _new_snn(ctx: Context) -> SpikingTextCNN:
    return build_model("snn", _arch(ctx), _snn_meta(ctx.cfg)).to(ctx.device)  # type: ignore[return-value]


def _eval_snn(ctx: Context, model: SpikingTextCNN, split: str, repeats: int, num_steps: int | None = None) -> dict:
    # Fixed evaluation seeds per split, recorded with the numbers; dev uses the same draw every epoch.
    base = {"dev": 10_000, "test": 20_000}[split] + 100 * ctx.seed
    return evaluate_snn(
        model,
        ctx.data.ids[split],
        ctx.labels(split),
        ctx.table,
        num_steps or ctx.cfg.snn.num_steps,
        base,
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
        "note": note
        or (
            f"T = {test['num_steps']}, deterministic regular code"
            if ctx.cfg.snn.encoder == "regular"
            else f"T = {test['num_steps']}, test mean over {len(test['accs'])} Bernoulli draws"
        ),
    }


def _cnn_result(ctx: Context, model: nn.Module, table: torch.Tensor, epoch: int | None) -> dict:
    dev = accuracy(cnn_logits(model, ctx.data.ids["dev"], table, ctx.cfg.eval_batch_size), ctx.labels("dev"))
    test = accuracy(cnn_logits(model, ctx.data.ids["test"], table, ctx.cfg.eval_batch_size), ctx.labels("test"))
    return {"dev_acc": dev, "test_acc": test, "epoch": epoch}


def _fit_cnn(
    ctx: Context, kind: str, stage: str, table: torch.Tensor, noise_steps: int, init_stream: int
) -> tuple[nn.Module, FitResult]:
    """Train a CNN of `kind` on inputs gathered from `table`, selected on dev (tailored or standard)."""
    t = ctx.cfg.cnn
    model = build_model(kind, _arch(ctx), None)
    init_linear_weights(model, generator(ctx.seed, init_stream, 0xC0FFEE))  # on the CPU: same init anywhere
    model.to(ctx.device)
    res = fit(
        model,
        cnn_loss(noise_steps),
        lambda mm: accuracy(cnn_logits(mm, ctx.data.ids["dev"], table, ctx.cfg.eval_batch_size), ctx.labels("dev")),
        ctx.data.ids["train"],
        ctx.labels("train"),
        table,
        t.epochs,
        ctx.cfg.cnn_lr(),
        t.weight_decay,
        t.batch_size,
        ctx.seed,
        stage,
        ctx.run.state,
        t.patience,
        ctx.on_epoch(stage),
    )
    return model, res


def _train_tailored_cnn(ctx: Context, stage: str, table: torch.Tensor) -> tuple[TailoredTextCNN, FitResult]:
    model, res = _fit_cnn(ctx, "tailored_cnn", stage, table, ctx.cfg.cnn_noise_steps(), sum(stage.encode()))
    return model, res  # type: ignore[return-value]


def train_cnn_stage(ctx: Context) -> dict:
    """Train the tailored CNN on e⁺ (selected on dev); write checkpoints/cnn and results["cnn"]."""
    done = ctx.run.results().get("cnn")
    if done and checkpoint_exists(ctx.run.checkpoint("cnn")):
        return done
    model, res = _train_tailored_cnn(ctx, "cnn", ctx.table)
    result = _cnn_result(ctx, model, ctx.table, res.best_epoch)
    save_bundle(
        ctx.run.checkpoint("cnn"),
        model,
        ctx.table,
        model_meta("tailored_cnn", _arch(ctx), None, _data_meta(ctx), {"result": result}),
    )
    ctx.run.update_results("cnn", result)
    return result


def _load_run_model(ctx: Context, name: str) -> nn.Module:
    tensors, meta = load_checkpoint(ctx.run.checkpoint(name))
    model = build_model(meta["kind"], meta["arch"], meta.get("snn")).to(ctx.device)
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    return model


def _normalized(ctx: Context, cnn: TailoredTextCNN, normalization: str) -> dict[str, torch.Tensor]:
    weights = cnn.export_weights()
    if normalization == "none":
        return weights
    if normalization == "model":
        lam1, lam3 = model_based_scales(weights)
    else:
        pct = 100.0 if normalization == "data_max" else 99.9
        batches = (x for x, _ in iterate_batches(ctx.data.ids["train"], ctx.labels("train"), ctx.table, 512))
        lam1, lam3 = data_based_scales(cnn, batches, pct)
    return normalized_weights(weights, lam1, lam3, ctx.cfg.snn.threshold)


def _input_scaled(ctx: Context, weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Input rates α·e⁺ (snn.input_scale): conv weights / α keep the expected currents of the conversion."""
    a = ctx.cfg.snn.input_scale
    return weights if a == 1.0 else {k: w / a if k.startswith("convs.") else w for k, w in weights.items()}


NORMALIZATIONS = {
    "none": "snn_converted",
    "model": "snn_converted_model_norm",
    "data_max": "snn_converted_data_norm_max",
    "data_p999": "snn_converted_data_norm_p999",
}


def convert_stage(ctx: Context, normalization: str = "none") -> dict:
    """Copy the CNN's weights into the SNN (optionally normalized); evaluate it without fine-tuning."""
    key = NORMALIZATIONS[normalization]
    done = ctx.run.results().get(key)
    if done and checkpoint_exists(ctx.run.checkpoint(key)):
        return done
    cnn = _load_run_model(ctx, "cnn")
    weights = _input_scaled(ctx, _normalized(ctx, cnn, normalization))  # type: ignore[arg-type]
    snn = convert(cnn, _new_snn(ctx), weights)  # type: ignore[arg-type]
    result = _snn_result(ctx, snn, None)
    result["normalization"] = normalization
    save_bundle(
        ctx.run.checkpoint(key),
        snn,
        ctx.table,
        model_meta("snn", _arch(ctx), _snn_meta(ctx.cfg), _data_meta(ctx), {"result": result}),
    )
    ctx.run.update_results(key, result)
    return result


def _finetune(ctx: Context, snn: SpikingTextCNN, stage: str, key: str | None = None) -> FitResult:
    """Fine-tune in place. With `key`, each new best-dev epoch is tested at once and stored as a provisional
    results[key] (marked "partial"), so a run stopped early still reports its dev-selected test accuracy."""
    f = ctx.cfg.finetune
    T = f.num_steps or ctx.cfg.snn.num_steps
    log_epoch = ctx.on_epoch(stage)

    def on_epoch(entry: dict, history: list[dict]) -> None:
        log_epoch(entry, history)
        if key is not None and entry["dev_acc"] >= max(h["dev_acc"] for h in history):
            result = _snn_result(ctx, snn, entry["epoch"])
            result.update(
                partial=True,
                epochs_done=entry["epoch"],
                note=f"provisional: {entry['epoch']} of {f.epochs} epochs done; " + result["note"],
            )
            ctx.run.update_results(key, result)

    return fit(
        snn,
        snn_loss(T, ctx.dtype, f.loss),
        lambda mm: _eval_snn(ctx, mm, "dev", f.dev_repeats, T)["acc"],  # type: ignore[arg-type]
        ctx.data.ids["train"],
        ctx.labels("train"),
        ctx.table,
        f.epochs,
        f.lr,
        f.weight_decay,
        f.batch_size,
        ctx.seed,
        stage,
        ctx.run.state,
        f.patience,
        on_epoch,
    )


def finetune_stage(ctx: Context) -> dict:
    """Fine-tune the converted SNN with surrogate gradients through time (selected on dev)."""
    done = ctx.run.results().get("snn_finetuned")
    if done and checkpoint_exists(ctx.run.checkpoint("snn_finetuned")):
        return done
    start = {"converted": "none"}.get(ctx.cfg.finetune.init, ctx.cfg.finetune.init)
    convert_stage(ctx, start)
    snn = _load_run_model(ctx, NORMALIZATIONS[start])
    res = _finetune(ctx, snn, "snn_finetune", "snn_finetuned")  # type: ignore[arg-type]
    result = _snn_result(ctx, snn, res.best_epoch)  # type: ignore[arg-type]
    save_bundle(
        ctx.run.checkpoint("snn_finetuned"),
        snn,
        ctx.table,
        model_meta("snn", _arch(ctx), _snn_meta(ctx.cfg), _data_meta(ctx), {"result": result}),
    )
    ctx.run.update_results("snn_finetuned", result)
    return result


@torch.no_grad()
def count_energy(
    model: SpikingTextCNN,
    inputs: Iterator[torch.Tensor],
    num_steps: int,
    seed: int,
    costs: str = "fp32",
    dtype: torch.dtype | None = None,
    save_spikes: str | Path | None = None,
) -> dict:
    """Energy report (see `spiketext.energy`) of `model` on e⁺ batches [B, D, L], one seeded Bernoulli draw.

    With `save_spikes`, the first batch's recorded spikes of every layer ([T, B, ...], uint8) go to that
    safetensors file and its own counts to report["saved_spikes"], so that a layer can be recounted by hand.
    """
    if costs not in COSTS:
        raise SpiketextError(f"energy costs {costs!r}: choose one of {', '.join(COSTS)}")
    was = model.training
    model.eval()
    counter = SNNCounter(model.kernel_sizes, model.convs[0].out_channels, model.fc.out_features, model.conv_neuron.beta)
    gen, total, size, dim, length, saved = None, 0.0, 0, 0, 0, {}
    for x in inputs:
        gen = gen or generator(seed, device=x.device)
        with torch.autocast(x.device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            _, layers = model(model.encode(x, num_steps, gen, dtype), record=True)
        counter.add(layers)
        if save_spikes is not None and counter.sentences == x.shape[0]:
            from safetensors.torch import save_file

            first = SNNCounter(model.kernel_sizes, model.convs[0].out_channels, model.fc.out_features, 1.0)
            first.add(layers)
            Path(save_spikes).parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(save_spikes).with_suffix(".tmp")
            save_file({k: v.to(torch.uint8).contiguous().cpu() for k, v in layers.items()}, str(tmp))
            tmp.replace(save_spikes)
            saved = {"file": str(save_spikes), "sentences": x.shape[0], "layers": first.layers}
        total, size, (dim, length) = total + float(x.double().sum()), size + x.numel(), x.shape[1:]
    model.train(was)
    report = energy_report(counter, dim, length, total / max(size, 1), COSTS[costs])
    if save_spikes is not None:
        report["saved_spikes"] = saved
    return report


def write_energy(report: dict, out: str | Path) -> dict[str, str]:
    """energy.json, energy.md and energy.png (per-layer bars) into `out`; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "energy.json", "md": out / "energy.md", "png": out / "energy.png"}
    atomic_write_json(paths["json"], report)
    atomic_write_text(paths["md"], energy_markdown(report) + "\n")
    plot_energy(report, paths["png"])
    return {k: str(v) for k, v in paths.items()}


def energy_summary(report: dict) -> dict:
    snn = report["snn"]
    return {
        "ratio": report["ratio"],
        "ratio_with_membrane": report["ratio_with_membrane"],
        "cnn_nj_per_sentence": report["cnn"]["energy_pj_per_sentence"] / 1e3,
        "snn_nj_per_sentence": snn["energy_pj_per_sentence"] / 1e3,
        "snn_nj_per_sentence_with_membrane": snn["energy_pj_with_membrane_per_sentence"] / 1e3,
        "input_rate": snn["layers"][0]["input_rate"],
        "num_steps": report["num_steps"],
        "costs": report["costs"]["name"],
        "note": "E_SNN / E_CNN over the test set: synaptic ops only (input layer included); energy.md has every term",
    }


def energy_stage(ctx: Context) -> dict:
    """Count the fine-tuned SNN's operations on the test set (the first test draw's seed); energy.* in the run."""
    snn = _load_run_model(ctx, "snn_finetuned")
    ids, labels = ctx.data.ids["test"], ctx.labels("test")
    inputs = (x for x, _ in iterate_batches(ids, labels, ctx.table, ctx.cfg.eval_batch_size))
    seed = 20_000 + 100 * ctx.seed  # the seed of the first test draw in _eval_snn
    report = count_energy(snn, inputs, ctx.cfg.snn.num_steps, seed, "fp32", ctx.dtype)  # type: ignore[arg-type]
    write_energy(report, ctx.run.root)
    summary = energy_summary(report)
    ctx.run.update_results("energy", summary)
    return summary


def baselines_stage(ctx: Context) -> dict:
    """DESIGN.md §1.4: standard TextCNN, normalized conversions, a directly trained SNN, random embeddings."""
    results = ctx.run.results()
    if "standard_cnn" not in results:
        raw = torch.from_numpy(raw_embedding_matrix(ctx.data.vocab, ctx.data.vectors)).to(ctx.device)
        model, res = _fit_cnn(ctx, "standard_cnn", "standard_cnn", raw, 0, 51)
        ctx.run.update_results("standard_cnn", _cnn_result(ctx, model, raw, res.best_epoch))
    for normalization in ("model", "data_max", "data_p999"):
        convert_stage(ctx, normalization)
    if "snn_direct" not in ctx.run.results():
        snn = build_model("snn", _arch(ctx), _snn_meta(ctx.cfg))
        init_linear_weights(snn, generator(ctx.seed, 52, 0xC0FFEE))
        snn.to(ctx.device)
        res = _finetune(ctx, snn, "snn_direct")
        ctx.run.update_results("snn_direct", _snn_result(ctx, snn, res.best_epoch))
    if "random_emb_snn_finetuned" not in ctx.run.results():
        rand_ctx = dataclasses.replace(ctx, data=with_random_embeddings(ctx.data, ctx.seed))
        cnn, res = _train_tailored_cnn(rand_ctx, "random_emb_cnn", rand_ctx.table)
        ctx.run.update_results("random_emb_cnn", _cnn_result(rand_ctx, cnn, rand_ctx.table, res.best_epoch))
        snn = convert(cnn, _new_snn(rand_ctx), _input_scaled(rand_ctx, cnn.export_weights()))
        res = _finetune(rand_ctx, snn, "random_emb_snn_finetune")
        ctx.run.update_results("random_emb_snn_finetuned", _snn_result(rand_ctx, snn, res.best_epoch))
    return ctx.run.results()


def open_run(cfg: RunConfig, out: str | Path, seed: int | None = None) -> Context:
    """Create or reopen a run folder for `cfg`; an existing folder must hold the same configuration."""
    run = RunDir(out)
    resolved = to_dict(cfg)
    existing = read_json(run.root / "config.json")
    if existing is not None and existing != resolved:
        changed = sorted(k for k in set(existing) | set(resolved) if existing.get(k) != resolved.get(k))
        raise SpiketextError(
            f"{run.root}: holds a run with a different configuration (differs in: {', '.join(changed)}); "
            "choose another --out, or delete the folder to start over"
        )
    run.root.mkdir(parents=True, exist_ok=True)
    if existing is None:
        atomic_write_json(run.root / "config.json", resolved)
    seed = cfg.seed if seed is None else seed
    data = load_data(cfg.data, seed=seed)
    if not (run.root / "data.json").is_file():
        atomic_write_json(run.root / "data.json", describe(data))
    device = resolve_device(cfg.device)
    tune_cpu_allocator()
    return Context(cfg, run, data, device, autocast_dtype(cfg.precision, device), seed)


def _finish(ctx: Context) -> dict:
    results = ctx.run.results()
    results["seed"] = ctx.seed
    results["data"] = {
        "name": ctx.data.corpus.name,
        "split": ctx.data.corpus.split_info,
        "embeddings": ctx.data.vectors.name,
        "deviation": ctx.data.vectors.deviation,
    }
    notes = [
        f"dev-selected epochs; SNN accuracies at T = {ctx.cfg.snn.num_steps} with Bernoulli input "
        f"(seeds recorded in results.json); seed {ctx.seed}"
    ]
    if "energy" in results:
        e = results["energy"]
        notes.append(
            f"energy (test set, {e['costs']}, T = {e['num_steps']}): E_SNN / E_CNN = {e['ratio']:.3f} counting "
            f"synaptic ops (input layer included), {e['ratio_with_membrane']:.3f} with membrane updates; "
            "every term in energy.md"
        )
    if ctx.data.vectors.deviation:
        notes.append(f"DEVIATION: {ctx.data.vectors.deviation}")
    results["notes"] = notes
    atomic_write_json(ctx.run.root / "results.json", results)
    atomic_write_text(ctx.run.root / "results.md", results_markdown(results, f"{ctx.data.corpus.name}: results"))
    plot_curves(ctx.run.metrics(), ctx.run.root / "curves.png")
    return results


def run_single(cfg: RunConfig, out: str | Path, seed: int | None = None) -> dict:
    """CNN -> converted SNN -> fine-tuned SNN (+ baselines) in one folder, resuming whatever is done."""
    ctx = open_run(cfg, out, seed)
    train_cnn_stage(ctx)
    convert_stage(ctx)
    finetune_stage(ctx)
    if "energy" not in ctx.run.results():
        energy_stage(ctx)
    if cfg.baselines:
        baselines_stage(ctx)
    return _finish(ctx)


def run(cfg: RunConfig, out: str | Path) -> dict:
    """The whole method. With cfg.seeds > 1: one sub-folder per seed and mean ± std over seeds in OUT."""
    if cfg.seeds == 1:
        return run_single(cfg, out)
    out = Path(out)
    # each seed folder is a complete single-seed run whose config.json names its own seed
    per_seed = [
        run_single(dataclasses.replace(cfg, seed=cfg.seed + i, seeds=1), out / f"seed{cfg.seed + i}")
        for i in range(cfg.seeds)
    ]
    summary: dict = {"seeds": [cfg.seed + i for i in range(cfg.seeds)]}
    for key in RESULT_ROWS:
        rows = [r[key] for r in per_seed if key in r]
        if len(rows) == len(per_seed):
            tests = [r["test_acc"] for r in rows]
            devs = [r["dev_acc"] for r in rows]
            summary[key] = {
                "dev_acc": float(np.mean(devs)),
                "test_acc": float(np.mean(tests)),
                "test_std": float(np.std(tests)),
                "test_accs": tests,
                "note": f"mean ± std over {len(rows)} seeds",
            }
    summary["notes"] = [f"{cfg.seeds} seeds ({', '.join(map(str, summary['seeds']))}); per-seed folders seedN/"]
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "config.json", to_dict(cfg))
    atomic_write_json(out / "results.json", summary)
    atomic_write_text(out / "results.md", results_markdown(summary, f"{per_seed[0]['data']['name']}: results"))
    return summary


# --- sweeps: accuracy against energy -----------------------------------------------------------------------------

# Settings that shape the tailored CNN: sweep points that agree on them share one trained CNN.
_CNN_KEYS = ("data", "model", "cnn", "seed", "precision", "device")


def _cnn_signature(cfg: RunConfig) -> dict:
    d = to_dict(cfg)
    return {**{k: d[k] for k in _CNN_KEYS}, "noise_steps": cfg.cnn_noise_steps()}


def _point_name(point: dict[str, Any]) -> str:
    return "_".join(f"{k}={v}" for k, v in point.items()).replace("/", "-")


def _copy_cnn(source: Path, ctx: Context) -> None:
    """Give a point's run folder the CNN of `source` (a run folder with the same CNN settings)."""
    src = RunDir(source)
    result = src.results().get("cnn")
    if not result or not checkpoint_exists(src.checkpoint("cnn")):
        raise SpiketextError(f"{source}: no trained CNN there yet; run `spiketext train-cnn --out {source}` first")
    ctx.run.checkpoints.mkdir(parents=True, exist_ok=True)
    for suffix in (".safetensors", ".json"):
        data = src.checkpoint("cnn").with_suffix(suffix).read_bytes()
        tmp = ctx.run.checkpoint("cnn").with_suffix(suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(ctx.run.checkpoint("cnn").with_suffix(suffix))
    ctx.run.update_results("cnn", result)


def sweep(cfg: RunConfig, out: str | Path, grid: dict[str, list[Any]], cnn_from: str | Path | None = None) -> dict:
    """Fine-tune and count energy at every point of `grid` ({"snn.num_steps": [4, 8], ...}: the product of the
    lists), each point a resumable run folder OUT/points/NAME; points that share CNN settings share one CNN
    (trained once, or taken from `cnn_from`). Writes OUT/sweep.json, sweep.md and sweep.png (accuracy against
    E_SNN / E_CNN, the Pareto front, the CNN as a point). The summary covers every finished point under OUT, so
    parallel invocations on slices of a grid add up."""
    out = Path(out)
    keys = list(grid)
    if not keys or any(not grid[k] for k in keys):
        raise SpiketextError("sweep: give at least one setting with values, e.g. --grid snn.num_steps=4,8,16")
    base = to_dict(cfg)
    if cnn_from is not None:
        src_cfg = find_run_config(cnn_from)
        if src_cfg is None or _cnn_signature(src_cfg) != _cnn_signature(cfg):
            raise SpiketextError(f"{cnn_from}: its CNN settings differ from this sweep's (data, model, cnn, seed)")
    cnn_dirs: dict[str, Path] = {}
    for folder in sorted((out / "points").glob("*")):  # CNNs trained by earlier invocations on this OUT
        done = read_json(folder / "config.json")
        if (
            done is not None
            and RunDir(folder).results().get("cnn")
            and checkpoint_exists(RunDir(folder).checkpoint("cnn"))
        ):
            sig = json.dumps(_cnn_signature(from_dict(RunConfig, done, "config")), sort_keys=True)
            cnn_dirs.setdefault(sig, folder)
    if cnn_from is not None:
        cnn_dirs[json.dumps(_cnn_signature(cfg), sort_keys=True)] = Path(cnn_from)
    for values in itertools.product(*(grid[k] for k in keys)):
        point = dict(zip(keys, values, strict=True))
        overrides: dict[str, Any] = {}
        for k, v in point.items():
            set_nested(overrides, k.split("."), v)
        pcfg = from_dict(RunConfig, deep_merge(base, overrides), "config")
        folder = out / "points" / _point_name(point)
        ctx = open_run(pcfg, folder)
        atomic_write_json(folder / "point.json", point)
        sig = json.dumps(_cnn_signature(pcfg), sort_keys=True)
        if sig in cnn_dirs and "cnn" not in ctx.run.results():
            _copy_cnn(cnn_dirs[sig], ctx)
        train_cnn_stage(ctx)
        cnn_dirs.setdefault(sig, folder)
        convert_stage(ctx)
        finetune_stage(ctx)
        if "energy" not in ctx.run.results():
            energy_stage(ctx)
        _finish(ctx)
        log.info("sweep point %s done", _point_name(point))
    return summarize_sweep(out)


def summarize_sweep(out: str | Path) -> dict:
    """Collect every finished point under OUT/points into sweep.json / .md / .png."""
    out = Path(out)
    points, cnns = [], []
    for folder in sorted((out / "points").glob("*")):
        results = read_json(folder / "results.json") or {}
        point = read_json(folder / "point.json")
        if point is None or "energy" not in results or "snn_finetuned" not in results:
            continue
        cnns.append(results["cnn"])
        ft, e = results["snn_finetuned"], results["energy"]
        points.append(
            {
                "config": point,
                "test_acc": ft["test_acc"],
                "test_std": ft.get("test_std"),
                "dev_acc": ft["dev_acc"],
                "converted_test_acc": results["snn_converted"]["test_acc"],
                "cnn_test_acc": results["cnn"]["test_acc"],
                "energy_ratio": e["ratio"],
                "energy_ratio_with_membrane": e["ratio_with_membrane"],
                "input_rate": e["input_rate"],
                "run": str(folder.relative_to(out)),
                "device": (read_json(folder / "config.json") or {}).get("device"),
            }
        )
    if not points:
        raise SpiketextError(f"{out}: no finished sweep points yet")
    # the CNN most points share (points may bring their own, e.g. with cnn.noise_steps=T)
    keys = [(c["test_acc"], c["dev_acc"]) for c in cnns]
    cnn = cnns[max(range(len(keys)), key=lambda i: (keys.count(keys[i]), -i))]
    points.sort(key=lambda p: (p["energy_ratio"], -p["test_acc"]))
    best = -1.0
    for p in points:  # Pareto: no point with less energy is at least as accurate
        p["pareto"] = p["test_acc"] > best
        best = max(best, p["test_acc"])
    summary = {
        "cnn": {"test_acc": cnn["test_acc"], "dev_acc": cnn["dev_acc"], "energy_ratio": 1.0},
        "points": points,
        "notes": [
            "energy_ratio = E_SNN / E_CNN on the test set, synaptic ops only (input layer included), fp32 45 nm "
            "costs; energy_ratio_with_membrane adds membrane updates; test_acc: dev-selected fine-tuned SNN"
        ],
    }
    atomic_write_json(out / "sweep.json", summary)
    atomic_write_text(out / "sweep.md", sweep_markdown(summary))
    plot_sweep(summary, out / "sweep.png")
    return summary


def sweep_markdown(summary: dict) -> str:
    cnn = summary["cnn"]
    lines = [
        f"Tailored CNN: test {100 * cnn['test_acc']:.2f}% at E / E_CNN = 1.",
        "",
        "| point | test acc (%) | converted (%) | E_SNN / E_CNN | with membrane | input rate | Pareto |",
        "|---|---:|---:|---:|---:|---:|:-:|",
    ]
    for p in summary["points"]:
        name = ", ".join(f"{k.split('.')[-1]} = {v}" for k, v in p["config"].items())
        std = f" ± {100 * p['test_std']:.2f}" if p.get("test_std") else ""
        lines.append(
            f"| {name} | {100 * p['test_acc']:.2f}{std} | {100 * p['converted_test_acc']:.2f} | "
            f"{p['energy_ratio']:.3f} | {p['energy_ratio_with_membrane']:.3f} | {p['input_rate']:.3f} | "
            f"{'✓' if p['pareto'] else ''} |"
        )
    return "\n".join(lines) + "\n"


# --- adversarial attacks -------------------------------------------------------------------------------------------


def attack(
    path: str | Path,
    name: str = "textfooler",
    n: int = 1000,
    sample: str = "first",
    seed: int = 0,
    mode: str = "fixed",
    draws: int = 3,
    data: DataConfig | None = None,
    out: str | Path | None = None,
    models: tuple[str, ...] = ("cnn", "snn"),
) -> dict:
    """Attack a run's tailored CNN and fine-tuned SNN on N test examples (the first N in file order, or a seeded
    sample); see `spiketext.attacks`. With `out`: attack_NAME.json / .md / .csv (every example) / .png there."""
    import time

    from spiketext.attacks import ATTACKS, Victim, WordSpace, run_attack, write_examples_csv
    from spiketext.data.tokenize import get_tokenizer

    if name not in ATTACKS:
        raise SpiketextError(f"attack {name!r}: choose one of {', '.join(ATTACKS)}")
    if sample not in ("first", "random"):
        raise SpiketextError(f"sample {sample!r}: 'first' (file order, the paper's protocol) or 'random' (seeded)")
    if n < 1:
        raise SpiketextError(f"n = {n}: attack at least one example")
    bundles = {"cnn": load_model(path, "cnn"), "snn": load_model(path, "snn_finetuned")}
    if bundles["cnn"].kind == "snn" or bundles["snn"].kind != "snn":
        raise SpiketextError(f"{path}: an attack needs a run folder with both the CNN and the fine-tuned SNN")
    vectors = bundles["cnn"].encoder.vectors
    if vectors is None:
        raise SpiketextError(f"{path}: attacks need the pretrained vectors ({bundles['cnn'].encoder.embeddings})")
    data, cfg = _data_of(path, data)
    split = load_corpus(data).splits["test"]
    order = np.arange(len(split.texts))
    if sample == "random":
        order = np.sort(np.random.default_rng(seed).choice(len(order), min(n, len(order)), replace=False))
    order = order[:n]
    tokenize = get_tokenizer(bundles["cnn"].encoder.language)
    examples = [(int(i), tokenize(split.texts[i]), int(split.labels[i])) for i in order]
    space = WordSpace(vectors.words, np.asarray(vectors.vectors, dtype=np.float32))
    dtype = autocast_dtype("auto", torch.device("cpu"))
    report: dict[str, Any] = {
        "attack": name,
        "n": len(examples),
        "sample": sample,
        "seed": seed,
        "substitutes": space.synonym_source if name == "pwws" else None,
        "similarity": "cosine of mean raw word vectors ≥ 0.8",
        "constraints": "≤ 10% of words (at least 1), stop words and non-alphabetic tokens kept",
    }
    rows = []
    for key in models:
        victim = Victim(bundles[key], mode, seed, draws, dtype=dtype)
        t0 = time.perf_counter()
        summary, results = run_attack(name, victim, space, examples, seed)
        summary.update(seconds=time.perf_counter() - t0, victim=victim.describe())
        report[key] = summary
        rows += [(key, r) for r in results]
        log.info("%s on %s: %s", name, key, summary)
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / f"attack_{name}.json", report)  # every example is in the CSV
        atomic_write_text(out / f"attack_{name}.md", attack_markdown(report))
        write_examples_csv(out / f"attack_{name}.csv", rows, bundles["cnn"].labels)
        plot_attack(report, out / f"attack_{name}.png")
        report["files"] = {e: str(out / f"attack_{name}.{e}") for e in ("json", "md", "csv", "png")}
    return report


def attack_markdown(report: dict) -> str:
    lines = [
        f"{report['attack']} on {report['n']} test examples ({report['sample']}, seed {report['seed']}); "
        f"{report['constraints']}; similarity: {report['similarity']}"
        + (f"; substitutes: {report['substitutes']}" if report.get("substitutes") else ""),
        "",
        "| model | victim | clean acc (%) | attacked acc (%) | success rate (%) | words perturbed (%) | queries | "
        "seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key in ("cnn", "snn"):
        r = report.get(key)
        if r:
            v = r["victim"]
            victim = v["mode"] + (f", seeds {v['seeds']}" if v.get("seeds") else "")
            lines.append(
                f"| {key.upper()} | {victim} | {100 * r['clean_acc']:.1f} | {100 * r['attacked_acc']:.1f} | "
                f"{100 * r['success_rate']:.1f} | {r['perturbed_words_pct']:.1f} | {r['mean_queries']:.1f} | "
                f"{r['seconds']:.0f} |"
            )
    return "\n".join(lines) + "\n"


# --- models from a run folder or checkpoint ---------------------------------------------------------------------


def resolve_model_path(path: str | Path, prefer: str = "snn_finetuned") -> Path:
    """A checkpoint path, or a run folder (its `prefer` checkpoint, falling back along the pipeline)."""
    p = Path(path)
    if p.is_dir():
        seed_dirs = sorted(d for d in p.glob("seed*") if d.is_dir())
        if seed_dirs and not (p / "checkpoints").is_dir():
            p = seed_dirs[0]  # a multi-seed run: its first seed
        for name in (prefer, "snn_finetuned", "snn_converted", "cnn"):
            if checkpoint_exists(p / "checkpoints" / name):
                return p / "checkpoints" / name
        raise SpiketextError(f"{path}: no checkpoints in this run folder yet; run `spiketext run` first")
    return p


def load_model(path: str | Path, prefer: str = "snn_finetuned", cache_dir: str | Path | None = None) -> ModelBundle:
    """Load a model from a checkpoint or a run folder (default: its fine-tuned SNN)."""
    cache = Path(cache_dir) if cache_dir else DataConfig(dataset="sst2").resolved_cache_dir()
    return load_bundle(resolve_model_path(path, prefer), cache)


def classify(model: ModelBundle, texts: list[str], seed: int = 0, num_steps: int | None = None) -> list[dict]:
    """Classify raw strings in batches; the same path `spiketext predict` uses."""
    return classify_texts(model, texts, seed=seed, num_steps=num_steps)


def find_run_config(path: str | Path) -> RunConfig | None:
    """The RunConfig of the run folder that holds `path` (a run folder or one of its checkpoints)."""
    p = Path(path).resolve()
    for folder in (p, *p.parents[:3]):
        cfg = read_json(folder / "config.json")
        if cfg is not None:
            return from_dict(RunConfig, cfg, str(folder / "config.json"))
    return None


def _data_of(path: str | Path, data: DataConfig | None) -> tuple[DataConfig, RunConfig | None]:
    """`data`, else the data of the run folder that holds `path`; and that run's config (None outside a run)."""
    cfg = find_run_config(path)
    if data is None:
        if cfg is None:
            raise SpiketextError(f"{path}: not inside a run folder; name the data (a data set or --train FILE)")
        data = cfg.data
    return data, cfg


def evaluate(
    path: str | Path,
    data: DataConfig | None = None,
    split: str = "test",
    repeats: int = 1,
    seed: int = 0,
    num_steps: int | None = None,
    prefer: str = "snn_finetuned",
) -> dict:
    """Accuracy of a saved model on a split. Data: `data`, else the run folder's own configuration.

    Texts go through the checkpoint's tokenizer and vocabulary, exactly as `predict` does.
    """
    bundle = load_model(path, prefer)
    data, _ = _data_of(path, data)
    corpus = load_corpus(data)
    if split not in corpus.splits:
        raise SpiketextError(f"split {split!r}: choose train, dev or test")
    texts, labels = corpus.splits[split].texts, corpus.splits[split].labels
    if corpus.labels != bundle.labels:
        raise SpiketextError(f"labels of the data {corpus.labels} differ from the model's {bundle.labels}")
    draws = repeats if bundle.kind == "snn" else 1
    accs = []
    for r in range(draws):
        preds = [p["class_id"] for p in classify_texts(bundle, texts, seed=seed + r, num_steps=num_steps)]
        accs.append(float(np.mean(np.array(preds) == labels)))
    return {
        "model": str(resolve_model_path(path, prefer)),
        "kind": bundle.kind,
        "split": split,
        "size": len(texts),
        "acc": float(np.mean(accs)),
        "std": float(np.std(accs)),
        "accs": accs,
        "seeds": [seed + r for r in range(draws)] if bundle.kind == "snn" else None,
        "num_steps": (num_steps or bundle.num_steps) if bundle.kind == "snn" else None,
    }


def energy(
    path: str | Path,
    data: DataConfig | None = None,
    split: str = "test",
    seed: int | None = None,
    num_steps: int | None = None,
    costs: str = "fp32",
    out: str | Path | None = None,
    batch_size: int | None = None,
    precision: str | None = None,
    save_spikes: str | Path | None = None,
) -> dict:
    """Per-layer operation counts and energy of a saved SNN and its CNN on a split (texts in file order, one
    seeded Bernoulli draw); with `out`, also energy.json / .md / .png there.

    Inside a run folder the defaults are the run's own (data, batch size, precision, and the seed of its first
    test draw), so the count equals the one `spiketext run` stored; elsewhere seed 0, batch 256, precision auto.
    """
    bundle = load_model(path, "snn_finetuned")
    if bundle.kind != "snn":
        raise SpiketextError(f"{path}: energy needs an SNN checkpoint (snn_finetuned or snn_converted)")
    data, cfg = _data_of(path, data)
    if seed is None:
        seed = 20_000 + 100 * cfg.seed if cfg is not None else 0  # the run's first test draw (_eval_snn)
    batch_size = batch_size or (cfg.eval_batch_size if cfg is not None else 256)
    precision = precision or (cfg.precision if cfg is not None else "auto")
    corpus = load_corpus(data)
    if split not in corpus.splits:
        raise SpiketextError(f"split {split!r}: choose train, dev or test")
    texts = corpus.splits[split].texts
    inputs = (bundle.encoder.encode(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size))
    dtype = autocast_dtype(precision, torch.device("cpu"))
    T = num_steps or bundle.num_steps
    report = count_energy(bundle.model, inputs, T, seed, costs, dtype, save_spikes)  # type: ignore[arg-type]
    report.update(model=str(resolve_model_path(path, "snn_finetuned")), split=split, seed=seed)
    if out is not None:
        report["files"] = write_energy(report, out)
    return report


@torch.no_grad()
def raster(model: ModelBundle, text: str, path: str | Path, seed: int = 0, num_steps: int | None = None) -> dict:
    """Spike raster PNG of one sentence through every layer of an SNN; returns per-layer spike counts."""
    if model.kind != "snn":
        raise SpiketextError("a raster needs an SNN checkpoint (snn_converted or snn_finetuned)")
    if not text.strip():
        raise SpiketextError("text is empty; give some words to classify")
    x = model.encoder.encode([text])
    spikes = model.model.encode(x, num_steps or model.num_steps, generator(seed))
    _, layers = model.model(spikes, record=True)
    layers = {k: v[:, 0] for k, v in layers.items()}  # batch of one -> [T, ...]
    plot_raster(layers, Path(path), title=text, labels=model.labels)
    return {k: int(v.sum()) for k, v in layers.items()}


def export_embeddings(datasets: list[DataConfig], dest: str | Path, embeddings: str | None = None) -> dict:
    """Cut the vectors of every word in the given data sets (all splits) out of their table, keeping μ and σ.

    `--embeddings DEST` then reproduces those data sets' inputs exactly, without the full table.
    """
    words: set[str] = set()
    vectors = None
    for cfg in datasets:
        data = load_data(dataclasses.replace(cfg, embeddings=embeddings or cfg.embeddings))
        vectors = data.vectors
        words.update(t for split in data.tokens.values() for ts in split for t in ts)
    assert vectors is not None
    path = export_vectors(vectors, words, Path(dest))
    return {"path": str(path), "words": len(words), "name": vectors.name}
