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
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from spiketext.checkpoint import atomic_write_json, atomic_write_text, checkpoint_exists, load_checkpoint
from spiketext.config import DataConfig, RunConfig, from_dict, to_dict
from spiketext.data.batching import iterate_batches
from spiketext.data.corpus import Corpus, load_builtin, load_files
from spiketext.data.describe import describe
from spiketext.data.embeddings import export_vectors
from spiketext.data.prepare import PreparedData, prepare, raw_embedding_matrix, with_random_embeddings
from spiketext.data.sources import DATASETS, locate_files
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
from spiketext.viz import plot_curves, plot_raster

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
        "note": note or f"T = {test['num_steps']}, test mean over {len(test['accs'])} Bernoulli draws",
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
    model, res = _fit_cnn(ctx, "tailored_cnn", stage, table, ctx.cfg.cnn.noise_steps, sum(stage.encode()))
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
    snn = convert(cnn, _new_snn(ctx), _normalized(ctx, cnn, normalization))  # type: ignore[arg-type]
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
        snn = convert(cnn, _new_snn(rand_ctx))
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
    if data is None:
        cfg = find_run_config(path)
        if cfg is None:
            raise SpiketextError(f"{path}: not inside a run folder; name the data (a data set or --train FILE)")
        data = cfg.data
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


@torch.no_grad()
def raster(model: ModelBundle, text: str, path: str | Path, seed: int = 0, num_steps: int | None = None) -> dict:
    """Spike raster PNG of one sentence through every layer of an SNN; returns per-layer spike counts."""
    if model.kind != "snn":
        raise SpiketextError("a raster needs an SNN checkpoint (snn_converted or snn_finetuned)")
    if not text.strip():
        raise SpiketextError("text is empty; give some words to classify")
    from spiketext.encoding import bernoulli_encode

    x = model.encoder.encode([text])
    spikes = bernoulli_encode(x, num_steps or model.num_steps, generator(seed))
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
