"""The run folder: its layout, its files, and finding a run's configuration and checkpoints from a path.

    RUN/config.json            the resolved RunConfig (written when the run starts)
    RUN/inputs.json            content digests of every input file and of the embeddings the run read
    RUN/data.json              data description and the split record (seed, sizes, index digests, skipped rows)
    RUN/metrics.jsonl          one line per epoch per stage, rewritten atomically after every epoch
    RUN/results.json           {"cnn": {"dev_acc", "test_acc", ...}, "snn_converted": ..., "snn_finetuned": ...}
    RUN/results.md, curves.png, energy.{json,md,png}
    RUN/checkpoints/NAME.{safetensors,json}   models usable by `evaluate` and `predict`
    RUN/state/                 resume state of the training loops (each holds its stage's metrics history)
Every file is written atomically, so a killed run leaves either the old or the new version, never half of one.
The metrics file is derived from the resume states, so a damaged metrics line is repaired from them.

`Context` is an opened run as the stages see it; `spiketext.runs.ledger.open_run` opens one.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from spiketext.core.checkpoint import checkpoint_exists, load_checkpoint
from spiketext.core.inference import save_bundle
from spiketext.core.models.convert import NORMALIZED_CHECKPOINTS
from spiketext.core.models.registry import Architecture, build_model, model_meta, snn_from_json
from spiketext.core.models.spiking import memory_bytes, parameter_bytes
from spiketext.core.runtime import check_memory
from spiketext.data.embeddings import keep_vectors
from spiketext.data.prepare import PreparedData
from spiketext.errors import SpiketextError
from spiketext.io import atomic_write_json, atomic_write_text, read_json_object
from spiketext.settings.config import TRAINED_EMBEDDINGS, DataConfig, RunConfig, from_dict

log = logging.getLogger(__name__)

# The TextCNN run's checkpoints a user may name (evaluate --model, predict --model), in pipeline order.
VECTORS_FOLDER = "vectors"  # RUN/vectors/: word vectors the run trained (skip-gram), kept for its checkpoints
CHECKPOINTS = ("snn_finetuned", *NORMALIZED_CHECKPOINTS.values(), "cnn")

RESULT_ROWS = {
    "cnn": "Tailored CNN",
    "snn_converted": "SNN, converted (plain copy, no fine-tuning)",
    "snn_finetuned": "SNN, converted + fine-tuned (the method)",
    "standard_cnn": "Standard TextCNN (max pool, biases, raw vectors)",
    "snn_converted_model_norm": "SNN, converted, model-based normalization",
    "snn_converted_data_norm_max": "SNN, converted, data-based normalization (max)",
    "snn_converted_data_norm_p999": "SNN, converted, data-based normalization (99.9th pct)",
    "snn_converted_qcfs": "SNN, converted from the QCFS CNN (θ = λ)",
    "snn_direct": "SNN trained directly from random init (surrogate gradients)",
    "random_emb_cnn": "Tailored CNN, random embeddings",
    "random_emb_snn_finetuned": "SNN, converted + fine-tuned, random embeddings",
}


def finetune_start_key(results: dict, config: dict) -> str:
    """The results row of the conversion fine-tuning started from: recorded with the fine-tuned result (init = dev
    chooses it on dev), else finetune.init of the run's config ("converted": the older name of the plain copy)."""
    init = (results.get("snn_finetuned") or {}).get("start") or (config.get("finetune") or {}).get("init", "none")
    init = "none" if init in ("converted", "dev") else init
    return NORMALIZED_CHECKPOINTS.get(init, "snn_converted")


class RunDir:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.pending: Any = None  # a ledger.Restart whose discarded stages wait for the new stage's first write

    def wrote(self) -> None:
        """A stage wrote its first result, epoch or checkpoint: a pending restart's backup can go."""
        if self.pending is not None:
            self.pending.commit()
            self.pending = None

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def checkpoint(self, name: str) -> Path:
        return self.checkpoints / name

    def results(self) -> dict:
        """results.json, its rows checked: each a mapping with numeric accuracies (a damaged file is an error)."""
        fix = "delete it and run the same command again (finished stages are read back from their checkpoints)"
        path = self.root / "results.json"
        results = read_json_object(path, fix) or {}
        for key in (*RESULT_ROWS, "energy"):
            row = results.get(key)
            if row is None:
                continue
            if not isinstance(row, dict):
                raise SpiketextError(
                    f"{path}: {key} is {type(row).__name__}, not a mapping: the file is damaged; {fix}"
                )
            for field_name in ("dev_acc", "test_acc"):
                value = row.get(field_name)
                if key != "energy" and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
                    if value is None and field_name == "dev_acc":
                        continue
                    raise SpiketextError(
                        f"{path}: {key}.{field_name} is {value!r}, not a number: the file is damaged; {fix}"
                    )
        return results

    def update_results(self, key: str, value: dict) -> dict:
        results = self.results()
        results[key] = value
        atomic_write_json(self.root / "results.json", results)
        self.wrote()
        return results

    def has_finished_stage(self) -> bool:
        """A folder is a run once one stage has finished (a checkpoint exists); before, it may be reused."""
        return self.checkpoints.is_dir() and any(self.checkpoints.glob("*.json"))

    def write_metrics(self, stage: str, history: list[dict]) -> None:
        """Replace `stage`'s lines in metrics.jsonl with `history` (so each epoch appears exactly once)."""
        lines = [x for x in self.metrics() if x.get("stage") != stage] + history
        atomic_write_text(self.root / "metrics.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
        self.wrote()

    def metrics(self) -> list[dict]:
        """Every epoch line; a damaged line (a write cut off by a kill or a full disk) is rebuilt from the state."""
        path = self.root / "metrics.jsonl"
        if not path.is_file():
            return []
        try:
            text = path.read_text(encoding="utf-8")
            return [_metric_line(x) for x in text.splitlines() if x.strip()]
        except (ValueError, UnicodeDecodeError):
            lines = self.metrics_from_state()
            log.warning("%s: a damaged line; rebuilt the file from the resume states in %s", path, self.state)
            atomic_write_text(path, "".join(json.dumps(x) + "\n" for x in lines))
            return lines

    def metrics_from_state(self) -> list[dict]:
        lines: list[dict] = []
        for meta_path in sorted(self.state.glob("*_last.json")):
            try:
                _, meta = load_checkpoint(meta_path)
                lines += list(meta.get("history", []))
            except SpiketextError as e:
                log.warning("%s", e)
        return lines


def _metric_line(text: str) -> dict:
    obj = json.loads(text)
    if not isinstance(obj, dict) or "stage" not in obj or "epoch" not in obj:
        raise ValueError("not a metrics line")
    return obj


def results_markdown(results: dict, title: str) -> str:
    """The summary table: one row per model, accuracies in percent."""
    lines = [f"# {title}", "", "| model | dev acc | test acc | selected epoch | notes |", "|---|---:|---:|---:|---|"]
    for key, label in RESULT_ROWS.items():
        r = results.get(key)
        if not r:
            continue
        test = f"{100 * r['test_acc']:.2f}"
        if r.get("test_std") is not None:
            test += f" ± {100 * r['test_std']:.2f}"
        dev = f"{100 * r['dev_acc']:.2f}" if r.get("dev_acc") is not None else "–"
        lines.append(f"| {label} | {dev} | {test} | {r.get('epoch', '–')} | {r.get('note', '')} |")
    notes = results.get("notes", []) + [f"{w['kind'].upper().replace('_', ' ')}: {w['text']}" for w in
                                         results.get("warnings", [])]  # fmt: skip
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


# --- finding a run from a path ------------------------------------------------------------------------------------


def run_folder_of(path: str | Path) -> Path | None:
    """The run folder that holds `path` (a run folder, its checkpoints folder or a checkpoint), if any."""
    p = Path(path).resolve()
    for folder in (p, *p.parents[:3]):
        if (folder / "config.json").is_file():
            return folder
    return None


def find_run_config(path: str | Path) -> RunConfig | None:
    """The RunConfig of the run folder that holds `path` (a run folder or one of its checkpoints)."""
    folder = run_folder_of(path)
    if folder is None:
        return None
    cfg = read_json_object(folder / "config.json", "restore it from a copy, or delete the run folder to start over")
    assert cfg is not None
    cfg = relocate_data(cfg, folder)
    return from_dict(RunConfig, cfg, str(folder / "config.json"))


def relocate_data(cfg: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Data paths recorded relative to the run folder are resolved against it (a run moved with its data)."""
    data = dict(cfg.get("data") or {})
    for key in ("train", "dev", "test"):
        value = data.get(key)
        if isinstance(value, str) and not Path(value).is_absolute() and not Path(value).exists():
            candidate = folder / value
            if candidate.exists():
                data[key] = str(candidate)
    return {**cfg, "data": data}


def checkpoint_names(folder: Path) -> list[str]:
    return [name for name in CHECKPOINTS if checkpoint_exists(folder / "checkpoints" / name)]


def resolve_model_path(path: str | Path, name: str = "snn_finetuned", fallback: bool = False) -> Path:
    """A checkpoint path, or a run folder's checkpoint `name` (one of `CHECKPOINTS`).

    An unknown name is an error listing the valid ones; a missing checkpoint is an error listing those that exist
    (with `fallback`, the latest stage that exists is used instead; the caller reports which).
    """
    p = Path(path)
    if not p.exists() and not Path(str(p) + ".json").exists():
        raise SpiketextError(f"{path}: no such run folder or checkpoint; check the path")
    if not p.is_dir():
        return p
    if name not in CHECKPOINTS:
        close = difflib.get_close_matches(name, CHECKPOINTS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SpiketextError(f"--model {name!r}: not a checkpoint name; {hint}choose one of {', '.join(CHECKPOINTS)}")
    seed_dirs = sorted(d for d in p.glob("seed*") if d.is_dir())
    if seed_dirs and not (p / "checkpoints").is_dir():
        p = seed_dirs[0]  # a multi-seed run: its first seed
    if checkpoint_exists(p / "checkpoints" / name):
        return p / "checkpoints" / name
    have = checkpoint_names(p)
    if not have:
        raise SpiketextError(f"{path}: no checkpoints in this run folder yet; run `spiketext run` first")
    if fallback:
        return p / "checkpoints" / have[0]
    raise SpiketextError(
        f"{path}: has no {name} checkpoint yet (it has: {', '.join(have)}); finish the run or pass --model"
    )


def data_of(path: str | Path, data: DataConfig | None) -> tuple[DataConfig, RunConfig | None]:
    """`data`, else the data of the run folder that holds `path`; and that run's config (None outside a run)."""
    cfg = find_run_config(path)
    if data is None:
        if cfg is None:
            raise SpiketextError(f"{path}: not inside a run folder; name the data (a data set or --train FILE)")
        data = cfg.data
    return data, cfg


# --- opening a run ---------------------------------------------------------------------------------------------


@dataclass
class Context:
    """What every stage needs: the config, the run folder, the prepared data, the device, the typed models."""

    cfg: RunConfig
    run: RunDir
    data: PreparedData
    device: torch.device
    dtype: torch.dtype | None  # autocast dtype for the SNN (None: fp32)
    seed: int
    arch: Architecture
    inputs: dict = field(default_factory=dict)
    _table: torch.Tensor | None = field(default=None, repr=False)
    _vectors_sha: str | None = field(default=None, repr=False)

    @property
    def table(self) -> torch.Tensor:
        """The e⁺ table [V, D] on the run's device."""
        if self._table is None:
            self._table = torch.from_numpy(self.data.table).to(self.device)
        return self._table

    def labels(self, split: str) -> np.ndarray:
        return self.data.corpus.splits[split].labels

    def record_history(self, stage: str) -> Callable[[list[dict]], None]:
        return lambda history: self.run.write_metrics(stage, history)

    def on_epoch(self, stage: str) -> Callable[[dict, list[dict]], None]:
        def callback(entry: dict, history: list[dict]) -> None:
            self.run.write_metrics(stage, history)
            log.info("%s epoch %d: dev %.4f", stage, entry["epoch"], entry["dev_acc"])

        return callback

    def data_meta(self) -> dict:
        """The checkpoint's "data": everything to turn raw text into this model's inputs, without the corpus."""
        d = self.data
        meta = {
            "language": d.language,
            "max_len": d.max_len,
            "embeddings": d.vectors.name,
            "input": "positive",
            "transform": dataclasses.asdict(d.transform),
            "vocab": d.vocab.itos,
            "labels": d.corpus.labels,
            "label_descriptions": d.corpus.label_descriptions,
        }
        sha = self.inputs.get("embeddings", {}).get("sha256")
        if sha:
            meta["embeddings_sha256"] = sha
        if d.vectors.name == TRAINED_EMBEDDINGS:  # vectors the run trained: kept beside its checkpoints
            if self._vectors_sha is None:
                self._vectors_sha = keep_vectors(d.vectors, self.run.root / VECTORS_FOLDER)
            meta["vectors_folder"] = VECTORS_FOLDER
            meta["vectors_sha256"] = self._vectors_sha
        return meta

    def save_model(self, key: str, model: nn.Module, kind: str, result: dict) -> None:
        snn = self.cfg.snn if kind == "snn" else None
        meta = model_meta(kind, self.arch, snn, self.data_meta(), {"result": result})
        save_bundle(self.run.checkpoint(key), model, self.table, meta)
        self.run.wrote()

    def load_model(self, key: str) -> nn.Module:
        tensors, meta = load_checkpoint(self.run.checkpoint(key))
        snn = snn_from_json(meta["snn"], str(self.run.checkpoint(key))) if meta["kind"] == "snn" else None
        model = build_model(meta["kind"], self.arch, snn).to(self.device)
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        return model


def stage_done(ctx: Context, key: str) -> bool:
    """Whether the checkpointed stage `key` has finished in this run (`stage` would read it back)."""
    return checkpoint_exists(ctx.run.checkpoint(key))


def stage(ctx: Context, key: str, compute: Callable[[], dict], checkpointed: bool = True) -> dict:
    """Resume or compute: the stored result of `key` if the run holds it, else `compute()` recorded."""
    results = ctx.run.results()
    if checkpointed and checkpoint_exists(ctx.run.checkpoint(key)):
        done = results.get(key)
        if done and not done.get("partial"):
            return done
        # the checkpoint is written before results.json: a run killed in between (or a deleted results.json)
        # reads the result back from the checkpoint
        meta_path = ctx.run.checkpoints / f"{key}.json"
        meta = read_json_object(meta_path, "delete it to redo the stage")
        if meta is not None and isinstance(meta.get("result"), dict):
            ctx.run.update_results(key, meta["result"])
            return meta["result"]
    elif not checkpointed and key in results:
        return results[key]
    result = compute()
    ctx.run.update_results(key, result)
    return result


def check_run_memory(cfg: RunConfig, arch: Architecture, length: int, device: torch.device) -> None:
    """Refuse settings whose weights or one batch cannot fit, naming every setting that makes the estimate."""
    T = max(cfg.snn.num_steps, cfg.finetune.num_steps or 0)
    F, npc = arch.num_filters, arch.neurons_per_class
    weights = parameter_bytes(arch.dim, F, arch.kernel_sizes, arch.num_outputs, training=True)
    check_memory(weights, device, f"the model's weights (model.num_filters = {F:,}, model.neurons_per_class = "
                 f"{npc:,}, while training)", "lower model.num_filters or model.neurons_per_class")  # fmt: skip
    dims = (arch.dim, F, arch.kernel_sizes, length)
    train = memory_bytes(*dims, cfg.finetune.batch_size, T, training=True)
    evaluate = memory_bytes(*dims, cfg.eval_batch_size, T, training=False)
    shape = f"model.num_filters = {F:,}, L = {length} tokens"
    if evaluate > train:
        check_memory(evaluate, device, f"one evaluation batch (T = {T}, eval_batch_size = {cfg.eval_batch_size}, "
                     f"{shape})", "lower snn.num_steps, eval_batch_size or model.num_filters")  # fmt: skip
    check_memory(train, device, f"one fine-tuning batch (T = {T}, finetune.batch_size = {cfg.finetune.batch_size}, "
                 f"{shape})", "lower snn.num_steps (or finetune.num_steps), finetune.batch_size or "
                 "model.num_filters")  # fmt: skip
