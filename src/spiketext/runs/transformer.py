"""The transformer family's stages on a run folder (docs/design.md §1.10): fine-tune MiniLM (the ANN), quantize it with
trained clips and distil it from the ANN (the QANN), run it as a spiking transformer for T = 1 … max_steps and
choose T on dev (the SNN), count both models' operations (energy).

The run folder is the TextCNN's (`spiketext.runs.folder`, `spiketext.runs.ledger`): config.json, inputs.json, data.json,
metrics.jsonl, results.json, checkpoints/ (ann, qann), state/; the same ledger refuses changed settings or
changed data, and `--restart ann|qann|snn` starts a stage and the later ones over. Every stage goes through
`runs.stage`, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from spiketext.core.models.quantize import calibrate
from spiketext.core.models.spiking_transformer import OpCounts, SpikingTransformer, ann_counts
from spiketext.core.models.transformer import (
    TextTransformer,
    TransformerShape,
    encoder_shape,
    load_pretrained,
    pretrained_dir,
)
from spiketext.core.runtime import generator
from spiketext.core.transformer_bundle import load_transformer, save_transformer
from spiketext.data.corpus import Corpus
from spiketext.data.wordpiece import PieceIds, WordPieceTokenizer, piece_batches
from spiketext.energy.transformer import transformer_energy, transformer_energy_markdown
from spiketext.errors import SpiketextError
from spiketext.io import atomic_write_json, atomic_write_text, sha256_file, writer_lock
from spiketext.runs.folder import RunDir, stage
from spiketext.runs.ledger import Folder, StagePlan, open_folder, started
from spiketext.runs.results import EnergySummary, data_warnings
from spiketext.runs.transformer_train import TransformerFit, fit_transformer, predict_logits
from spiketext.settings.config import RunConfig

log = logging.getLogger(__name__)

TRANSFORMER_PLAN = StagePlan(
    stages=("ann", "qann", "snn"),
    results={"ann": ("ann",), "qann": ("qann",), "snn": ("snn", "energy")},
    states={"ann": ("ann",), "qann": ("qann",), "snn": ()},
    first_stage={
        "transformer.levels": "qann",
        "transformer.attention_levels": "qann",
        "transformer.qat_epochs": "qann",
        "transformer.qat_lr": "qann",
        "transformer.distill": "qann",
        "transformer.max_steps": "snn",
        "transformer.eval_batch_size": "snn",
    },
    ignored=("model", "snn", "cnn", "finetune", "baselines", "test_repeats", "stack_seeds", "precision"),
    dropped=("results.md", "energy.json", "energy.md", "snn_steps.json"),
)


@dataclass
class TransformerRun:
    """An opened transformer run: its settings, folder, corpus, word-piece ids per split and the ANN's shape."""

    cfg: RunConfig
    run: RunDir
    corpus: Corpus
    pieces: dict[str, PieceIds]
    shape: TransformerShape
    device: torch.device
    seed: int
    inputs: dict = field(default_factory=dict)

    def labels(self, split: str) -> np.ndarray:
        return self.corpus.splits[split].labels

    def accuracy(self, model: torch.nn.Module, split: str) -> float:
        logits = predict_logits(model, self.pieces[split], self.cfg.transformer.eval_batch_size)
        return float((logits.argmax(-1).numpy() == self.labels(split)).mean())

    def on_epoch(self, key: str) -> Callable[[dict, list[dict]], None]:
        return lambda entry, history: self.run.write_metrics(key, history)

    def data_meta(self) -> dict[str, Any]:
        """What turns raw text into this model's inputs, without the corpus (the tokenizer is MiniLM's)."""
        path = pretrained_dir() / "tokenizer.json"
        return {
            "language": "en",
            "tokenizer": "all-MiniLM-L6-v2 word pieces",
            "tokenizer_sha256": sha256_file(path),
            "max_len": self.cfg.transformer.max_len,
            "labels": self.corpus.labels,
            "label_descriptions": self.corpus.label_descriptions,
        }

    def save(self, key: str, model: TextTransformer, result: dict) -> None:
        save_transformer(self.run.checkpoint(key), key, model, self.data_meta(), result)
        self.run.wrote()

    def load(self, key: str) -> TextTransformer:
        return load_transformer(self.run.checkpoint(key))[0].to(self.device)


def _prepare(cfg: RunConfig, corpus: Corpus, seed: int, device: torch.device) -> tuple[Any, dict]:
    """Word-piece ids of every split and data.json's record (piece lengths, sentences cut at max_len)."""
    t = cfg.transformer
    tokenizer = WordPieceTokenizer(pretrained_dir() / "tokenizer.json", t.max_len)
    pieces = {name: tokenizer.encode(split.texts) for name, split in corpus.splits.items()}
    shape = dataclasses.replace(encoder_shape(t.encoder, corpus.num_classes), activation=t.ann_activation)
    record = {
        "name": corpus.name,
        "labels": corpus.labels,
        "split": corpus.split_info,
        "tokenizer": "all-MiniLM-L6-v2 word pieces",
        "max_len": t.max_len,
        "splits": {
            name: {
                "size": len(p),
                "mean_pieces": round(float(p.lengths.mean()), 2),
                "max_pieces": int(p.lengths.max()),
                "cut_at_max_len": int((p.lengths >= t.max_len).sum()),
                "class_counts": np.bincount(corpus.splits[name].labels, minlength=corpus.num_classes).tolist(),
            }
            for name, p in pieces.items()
        },
    }
    return (pieces, shape), record


def open_transformer_run(
    cfg: RunConfig, out: str | Path, seed: int | None = None, restart: str | None = None, can_restart: bool = True
) -> TransformerRun:
    """`ledger.open_folder` for a transformer run."""
    if cfg.family != "transformer":
        raise SpiketextError(f"family {cfg.family!r}: this is the transformer family's pipeline")
    folder, (pieces, shape) = open_folder(cfg, out, _prepare, TRANSFORMER_PLAN, seed, restart, can_restart)
    return _context(cfg, folder, pieces, shape)


def _context(cfg: RunConfig, folder: Folder, pieces: dict, shape: TransformerShape) -> TransformerRun:
    return TransformerRun(cfg, folder.run, folder.corpus, pieces, shape, folder.device, folder.seed, folder.inputs)


# --- the stages -------------------------------------------------------------------------------------------------


def _result(ctx: TransformerRun, model: TextTransformer, epoch: int | None, **extra: Any) -> dict:
    return {"dev_acc": ctx.accuracy(model, "dev"), "test_acc": ctx.accuracy(model, "test"), "epoch": epoch, **extra}


def _timed(compute: Callable[[], dict]) -> Callable[[], dict]:
    """`compute` whose result records its wall time and the CPU threads it had (a stage's own cost: each stage
    runs its prerequisites before its clock starts; a stage resumed after an interruption records only the part
    this process ran)."""

    def run() -> dict:
        t0 = time.perf_counter()
        result = compute()
        return {**result, "seconds": round(time.perf_counter() - t0, 1), "threads": torch.get_num_threads()}

    return run


def ann_stage(ctx: TransformerRun) -> dict:
    """Fine-tune all-MiniLM-L6-v2 (mean pooling, a linear head) on the training split, the epoch chosen on dev."""
    t = ctx.cfg.transformer

    def compute() -> dict:
        model = TextTransformer(ctx.shape)
        if t.encoder == "minilm":
            load_pretrained(model)
        with torch.no_grad():
            model.head.weight.normal_(0.0, 0.02, generator=generator(ctx.seed, 61))
            model.head.bias.zero_()
        model.word.weight.requires_grad_(t.train_embeddings)
        model.to(ctx.device)
        fit = TransformerFit("ann", t.epochs, t.lr, t.weight_decay, t.batch_size, t.warmup, ctx.seed)
        res = fit_transformer(
            model, fit, ctx.pieces["train"], ctx.labels("train"), lambda m: ctx.accuracy(m, "dev"), ctx.run.state,
            on_epoch=ctx.on_epoch("ann"),
        )  # fmt: skip
        result = _result(ctx, model, res.best_epoch)
        ctx.save("ann", model, result)
        return result

    return stage(ctx, "ann", _timed(compute))  # type: ignore[arg-type]


def quantized_shape(shape: TransformerShape, levels: int, attention_levels: int = 0) -> TransformerShape:
    """The QANN's shape: ReLU in the FFN (its neurons cannot go below zero), `levels` per sign everywhere but the
    attention probabilities (`attention_levels`, 0: the same)."""
    return dataclasses.replace(shape, activation="relu", levels=levels, attention_levels=attention_levels)


def qann_stage(ctx: TransformerRun) -> dict:
    """The ANN with every input of a matrix product quantized to L levels per sign (clips calibrated at the 99.9th
    percentile, then trained), distilled from the ANN's soft labels; the epoch chosen on dev."""
    t = ctx.cfg.transformer
    ann_stage(ctx)  # its prerequisite, before (and outside) this stage's clock

    def compute() -> dict:
        ann = ctx.load("ann")
        teacher = predict_logits(ann, ctx.pieces["train"], t.eval_batch_size)
        model = TextTransformer(quantized_shape(ctx.shape, t.levels, t.attention_levels)).to(ctx.device)
        model.load_state_dict(ann.state_dict(), strict=False)  # every weight; the clips are the QANN's own
        sample = piece_batches(ctx.pieces["train"], ctx.labels("train"), t.batch_size, generator(ctx.seed, 62))

        def run_batches() -> None:
            model.eval()
            for _, (ids, mask, _, _) in zip(range(16), sample, strict=False):
                model(ids, mask)

        calibrate(model, run_batches)
        start = {"calibrated_dev_acc": ctx.accuracy(model, "dev"), "calibrated_test_acc": ctx.accuracy(model, "test")}
        model.word.weight.requires_grad_(t.train_embeddings)
        fit = TransformerFit("qann", t.qat_epochs, t.qat_lr, t.weight_decay, t.batch_size, t.warmup, ctx.seed,
                             distill=t.distill)  # fmt: skip
        res = fit_transformer(
            model, fit, ctx.pieces["train"], ctx.labels("train"), lambda m: ctx.accuracy(m, "dev"), ctx.run.state,
            teacher_logits=teacher, on_epoch=ctx.on_epoch("qann"),
        )  # fmt: skip
        result = _result(ctx, model, res.best_epoch, levels=t.levels, **start)
        ctx.save("qann", model, result)
        return result

    return stage(ctx, "qann", _timed(compute))  # type: ignore[arg-type]


@torch.no_grad()
def simulate(
    model: TextTransformer, data: PieceIds, num_steps: int, batch_size: int, counts: OpCounts | None = None
) -> torch.Tensor:
    """The spiking transformer of the QANN `model` on a split: accumulated logits after every step [T, N, C], in
    file order (batches of similar length); `counts` gets every operation on the real tokens."""
    snn = SpikingTransformer(model)
    dummy = np.zeros(len(data), dtype=np.int64)
    out = torch.empty(0)
    batches = piece_batches(data, dummy, batch_size)
    for ids, mask, _, rows in tqdm(batches, total=-(-len(data) // batch_size), desc="snn", leave=False, disable=None):
        logits = snn.run(ids, mask, num_steps, counts)  # [T, B, C]
        if out.numel() == 0:
            out = torch.empty(num_steps, len(data), logits.shape[-1])
        out[:, torch.from_numpy(rows)] = logits.float()
    return out


def reference_counts(
    ann: TextTransformer, qann: TextTransformer, data: PieceIds, batch_size: int
) -> tuple[OpCounts, OpCounts]:
    """Every operation of one pass of the ANN and of the QANN over `data`'s real tokens (the energy baselines)."""
    ann_ops, qann_ops = OpCounts(), OpCounts()
    for _, mask, _, _ in piece_batches(data, np.zeros(len(data), dtype=np.int64), batch_size):
        ann_ops.absorb(ann_counts(ann, mask))
        qann_ops.absorb(ann_counts(qann, mask))
    return ann_ops, qann_ops


def count_energy(
    ann: TextTransformer, qann: TextTransformer, data: PieceIds, num_steps: int, batch_size: int = 64
) -> dict:
    """The energy report of the spiking transformer of `qann` run for `num_steps` steps on `data`, against `ann`
    (and the QANN): every operation of each on the real tokens (`energy.transformer.transformer_energy`)."""
    counts = OpCounts()
    simulate(qann, data, num_steps, batch_size, counts)
    ann_ops, qann_ops = reference_counts(ann, qann, data, batch_size)
    return transformer_energy(ann_ops, qann_ops, counts.per_step[num_steps - 1], num_steps, qann.shape.levels)


def snn_stage(ctx: TransformerRun) -> dict:
    """Run the QANN as a spiking transformer for T = 1 … max_steps on dev and test (one run each: the accuracy at
    every T is read off the accumulated logits), choose T on dev (the best dev accuracy, the smallest T on a tie),
    and count both models' operations on the test split (energy.json / energy.md, snn_steps.json)."""
    t = ctx.cfg.transformer
    qann_stage(ctx)  # its prerequisites, before (and outside) this stage's clock

    def compute() -> dict:
        qann, ann = ctx.load("qann"), ctx.load("ann")
        counts = OpCounts()
        curves, agree = {}, []
        for split in ("dev", "test"):
            logits = simulate(
                qann, ctx.pieces[split], t.max_steps, t.eval_batch_size, counts if split == "test" else None
            )
            preds = logits.argmax(-1).numpy()  # [T, N]
            curves[split] = [float(x) for x in (preds == ctx.labels(split)[None]).mean(1)]
            if split == "test":
                reference = predict_logits(qann, ctx.pieces["test"], t.eval_batch_size).argmax(-1).numpy()
                agree = [float(x) for x in (preds == reference[None]).mean(1)]
        steps = 1 + int(np.argmax(curves["dev"]))  # argmax: the first (smallest T) of the best
        ann_ops, qann_ops = reference_counts(ann, qann, ctx.pieces["test"], t.eval_batch_size)
        report = transformer_energy(ann_ops, qann_ops, counts.per_step[steps - 1], steps, t.levels)
        report.update(split="test", model="qann as a spiking transformer")
        per_t = [transformer_energy(ann_ops, qann_ops, counts.per_step[k], k + 1, t.levels)["ratio_all_ops"]
                 for k in range(t.max_steps)]  # fmt: skip
        atomic_write_json(ctx.run.root / "energy.json", report)
        atomic_write_text(ctx.run.root / "energy.md", transformer_energy_markdown(report))
        atomic_write_json(
            ctx.run.root / "snn_steps.json",
            {"num_steps": list(range(1, t.max_steps + 1)), "dev_acc": curves["dev"], "test_acc": curves["test"],
             "test_agreement_with_qann": agree, "energy_ratio_all_ops": per_t, "chosen": steps},
        )  # fmt: skip
        ctx.run.update_results("energy", transformer_energy_summary(report))
        return {
            "dev_acc": curves["dev"][steps - 1],
            "test_acc": curves["test"][steps - 1],
            "num_steps": steps,
            "agreement_with_qann": agree[steps - 1],
            "note": f"T = {steps} chosen on dev (the best dev accuracy over T = 1 … {t.max_steps}); "
            f"{100 * agree[steps - 1]:.1f}% of test predictions equal the QANN's",
        }

    return stage(ctx, "snn", _timed(compute), checkpointed=False)  # type: ignore[arg-type]


def transformer_energy_summary(report: dict) -> dict:
    """results.json's "energy" for a transformer run (`results.EnergySummary` fields; the ANN in the CNN's place)."""
    return {
        "ratio_all_ops": report["ratio_all_ops"],
        "snn_nj_per_sentence": report["per_sentence_pj"]["snn"] / 1e3,
        "cnn_nj_per_sentence": report["per_sentence_pj"]["ann"] / 1e3,
        "num_steps": report["num_steps"],
        "costs": "fp32",
        "ratio_all_ops_int8": report["ratio_int8"],
        "ratio_quantized_cnn": report["ratio_low_bit_qann"],
        "activation_bits": report["level_bits"],
        "ratio_memory_sram": report["memory"],
        "ratio_memory_horowitz": report["memory_horowitz"],
        "note": "E_SNN / E_ANN on the test split, every operation on real tokens (fp32); the ANN takes the CNN's "
        f"place; non-spiking operations {100 * report['non_spiking_share']:.1f}% of the SNN's energy",
    }


TRANSFORMER_ROWS = {
    "ann": "ANN: all-MiniLM-L6-v2 fine-tuned",
    "qann": "QANN: every matrix product's inputs quantized",
    "snn": "SNN: the QANN run with integrate-and-fire neurons (T on dev)",
}


def finish(ctx: TransformerRun) -> dict:
    """results.json's notes and results.md."""
    results = ctx.run.results()
    results["seed"] = ctx.seed
    results["data"] = {"name": ctx.corpus.name, "split": ctx.corpus.split_info}
    notes = [f"family transformer: dev-selected epochs, seed {ctx.seed}, fp32 on {ctx.device.type}"]
    if "energy" in results:
        e = EnergySummary.from_json(results["energy"], str(ctx.run.root / "results.json"))
        notes.append(f"energy (test set, T = {e.num_steps}): {e.story().replace('E_CNN', 'E_ANN')}; energy.md")
    results["notes"] = notes
    results["warnings"] = [dataclasses.asdict(w) for w in data_warnings(ctx.corpus)]
    atomic_write_json(ctx.run.root / "results.json", results)
    lines = [f"# {ctx.corpus.name}: results (transformer family)", "",
             "| model | dev acc | test acc | selected | notes |", "|---|---:|---:|---|---|"]  # fmt: skip
    for key, label in TRANSFORMER_ROWS.items():
        r = results.get(key)
        if r:
            chosen = f"T = {r['num_steps']}" if key == "snn" else f"epoch {r.get('epoch')}"
            lines.append(f"| {label} | {100 * r['dev_acc']:.2f} | {100 * r['test_acc']:.2f} | {chosen} | "
                         f"{r.get('note', '')} |")  # fmt: skip
    lines += ["", *[f"- {n}" for n in notes]]
    atomic_write_text(ctx.run.root / "results.md", "\n".join(lines) + "\n")
    return results


def run_single(cfg: RunConfig, out: str | Path, seed: int | None = None, restart: str | None = None) -> dict:
    """ANN -> QANN -> SNN (T chosen on dev) -> energy in one folder, resuming whatever is done; `restart`: start
    that stage (ann, qann, snn) and the later ones over."""
    with writer_lock(out), started(open_transformer_run(cfg, out, seed, restart)) as ctx:
        snn_stage(ctx)
        return finish(ctx)
