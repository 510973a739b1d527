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

`open_run` turns a folder into a `Context` for the stages; its caller holds the folder's `io.writer_lock`. Once
anything of a run is in the folder (a finished stage, a resume state, a result), a different configuration or
changed input files (content digests in inputs.json) are refused rather than mixed with the old results, unless
`restart` names a stage to start over (`restart_from`); a folder with results but without its config.json or
inputs.json is damaged, never fresh.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from spiketext.checkpoint import checkpoint_exists, load_checkpoint
from spiketext.config import (
    CHECKPOINTS,
    NORMALIZED_CHECKPOINTS,
    STAGES,
    DataConfig,
    RunConfig,
    check_kernels,
    from_dict,
    to_dict,
)
from spiketext.data.describe import describe
from spiketext.data.load import digests_differ, input_digests, load_corpus, prepare_corpus
from spiketext.data.prepare import PreparedData
from spiketext.errors import SpiketextError
from spiketext.inference import save_bundle
from spiketext.io import atomic_write_json, atomic_write_text, check_writable, read_json_object
from spiketext.models.registry import Architecture, SpikingSpec, build_model, model_meta
from spiketext.models.spiking import memory_bytes, parameter_bytes
from spiketext.runtime import autocast_dtype, check_memory, resolve_device

log = logging.getLogger(__name__)

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
        return results

    def has_finished_stage(self) -> bool:
        """A folder is a run once one stage has finished (a checkpoint exists); before, it may be reused."""
        return any(checkpoint_exists(self.checkpoint(name)) for name in CHECKPOINTS)

    def write_metrics(self, stage: str, history: list[dict]) -> None:
        """Replace `stage`'s lines in metrics.jsonl with `history` (so each epoch appears exactly once)."""
        lines = [x for x in self.metrics() if x.get("stage") != stage] + history
        atomic_write_text(self.root / "metrics.jsonl", "".join(json.dumps(x) + "\n" for x in lines))

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
    notes = results.get("notes", [])
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
        raise SpiketextError(f"--model {name!r}: not a checkpoint name; choose one of {', '.join(CHECKPOINTS)}")
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
    spec: SpikingSpec
    inputs: dict = field(default_factory=dict)
    _table: torch.Tensor | None = field(default=None, repr=False)

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
        return meta

    def save_model(self, key: str, model: nn.Module, kind: str, result: dict) -> None:
        spec = self.spec if kind == "snn" else None
        meta = model_meta(kind, self.arch, spec, self.data_meta(), {"result": result})
        save_bundle(self.run.checkpoint(key), model, self.table, meta)

    def load_model(self, key: str) -> nn.Module:
        tensors, meta = load_checkpoint(self.run.checkpoint(key))
        spec = SpikingSpec.from_json(meta["snn"], str(self.run.checkpoint(key))) if meta["kind"] == "snn" else None
        model = build_model(meta["kind"], self.arch, spec).to(self.device)
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


def _check_memory(cfg: RunConfig, arch: Architecture, length: int, device: torch.device) -> None:
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


# --- the ledger: what shaped each stage, and starting a stage over ------------------------------------------------

# The stages of a run in order, and the files, results and resume states each owns (a stage's outputs depend on
# its own settings and on every earlier stage's).
_BASELINE_KEYS = tuple(k for k in RESULT_ROWS if k not in ("cnn", "snn_converted", "snn_finetuned"))
STAGE_RESULTS = {
    "cnn": ("cnn",),
    "convert": tuple(NORMALIZED_CHECKPOINTS.values()),
    "finetune": ("snn_finetuned", "energy"),
    "baselines": _BASELINE_KEYS,
}
STAGE_STATES = {"cnn": ("cnn",), "convert": (), "finetune": ("snn_finetune",), "baselines": ()}
# The first stage a top-level setting shapes; a setting not listed shapes the whole run.
FIRST_STAGE = {"snn": "convert", "test_repeats": "convert", "finetune": "finetune", "baselines": "baselines"}


def flat_keys(d: dict, prefix: str = "") -> dict[str, Any]:
    """{"cnn": {"lr": 1}} -> {"cnn.lr": 1}: settings named as --set names them."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(flat_keys(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def differing_settings(old: dict, new: dict) -> list[str]:
    a, b = flat_keys(old), flat_keys(new)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def first_stage(keys: list[str]) -> str:
    """The earliest stage any of the settings `keys` (dotted names) shapes."""
    stages = [FIRST_STAGE.get(k.split(".")[0], "cnn") for k in keys]
    return min(stages, key=STAGES.index) if stages else STAGES[-1]


def restart_from(run: RunDir, stage: str) -> None:
    """Discard `stage` and every later stage of the run in `run` (results, checkpoints, resume states, metrics);
    the earlier stages are kept. Restarting "cnn" empties the run."""
    if stage not in STAGES:
        raise SpiketextError(f"--restart {stage!r}: not a stage; choose one of {', '.join(STAGES)}")
    later = STAGES[STAGES.index(stage) :]
    keys = [k for s in later for k in STAGE_RESULTS[s]]
    states = [st for s in later for st in STAGE_STATES[s]]
    if "baselines" in later:
        states += ["standard_cnn", "snn_direct", "random_emb_cnn", "random_emb_snn_finetune"]
    results = run.results()
    for key in keys:
        results.pop(key, None)
        for ext in (".json", ".safetensors"):
            (run.checkpoints / f"{key}{ext}").unlink(missing_ok=True)
    for st in states:
        for f in run.state.glob(f"{st}_*"):
            f.unlink()
    for f in ("results.md", "curves.png", *(f"energy.{x}" for x in ("json", "md", "png"))):
        (run.root / f).unlink(missing_ok=True)
    results.pop("notes", None)
    if stage == "cnn":
        results = {}
        for f in ("config.json", "inputs.json", "data.json", "metrics.jsonl"):
            (run.root / f).unlink(missing_ok=True)
    else:
        lines = [x for x in run.metrics() if x.get("stage") not in states]
        atomic_write_text(run.root / "metrics.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    atomic_write_json(run.root / "results.json", results)


def has_progress(run: RunDir) -> bool:
    """Whether anything of a run is in the folder: a finished stage, a resume state or a result."""
    return run.has_finished_stage() or any(run.state.glob("*.json")) or bool(run.results())


def check_layout(folder: Path, seeds: int) -> None:
    """A single-seed run and a multi-seed run (seed folders) never share a folder."""
    seed_dirs = sorted(d.name for d in folder.glob("seed*") if (d / "config.json").is_file())
    single = (folder / "checkpoints").is_dir() or (folder / "state").is_dir()
    if seeds == 1 and seed_dirs:
        raise SpiketextError(
            f"{folder}: holds a run of several seeds ({', '.join(seed_dirs)}); run with the same --seeds, name one "
            "seed's folder, or choose another --out"
        )
    if seeds > 1 and single:
        raise SpiketextError(
            f"{folder}: holds a single-seed run; a run of {seeds} seeds needs a folder of its own: choose another --out"
        )


def open_run(cfg: RunConfig, out: str | Path, seed: int | None = None, restart: str | None = None) -> Context:
    """Create or reopen a run folder for `cfg` (the caller holds its `writer_lock`).

    A folder with any progress (a finished stage, a resume state, a result) must hold the same configuration
    and inputs with the same content: a difference is refused with the differing settings, or with `restart`
    that stage and the later ones start over (the earlier stages must not depend on what differs). A folder with
    progress but without its config.json or inputs.json is damaged, never fresh."""
    run = RunDir(check_writable(out))
    check_layout(run.root, 1)
    resolved = to_dict(cfg)
    fix = "restore it from a copy, or delete the folder to start over"
    existing = read_json_object(run.root / "config.json", fix)
    progress = has_progress(run)
    if progress:
        for name, found in (("config.json", existing), ("inputs.json", (run.root / "inputs.json").is_file())):
            if not found:
                raise SpiketextError(
                    f"{run.root}: holds results or checkpoints but no {name}: the folder is damaged (what produced "
                    f"them is unknown); {fix}"
                )
    if restart is not None and restart not in STAGES:
        raise SpiketextError(f"--restart {restart!r}: not a stage; choose one of {', '.join(STAGES)}")
    if existing is not None and progress:
        try:
            old = to_dict(from_dict(RunConfig, relocate_data(existing, run.root), str(run.root / "config.json")))
        except SpiketextError:
            old = existing
        changed = differing_settings(old, resolved)
        if changed and restart is None:
            raise SpiketextError(
                f"{run.root}: holds a run with different settings ({', '.join(changed)}); rerun with the folder's "
                f"settings, add --restart {first_stage(changed)} to start that stage and the later ones over, or "
                "choose another --out"
            )
        if restart is not None:
            earliest = first_stage(changed) if changed else restart
            if STAGES.index(earliest) < STAGES.index(restart):
                raise SpiketextError(
                    f"--restart {restart}: the settings that differ ({', '.join(changed)}) shape the {earliest} "
                    f"stage already; use --restart {earliest}"
                )
            restart_from(run, restart)
            existing = read_json_object(run.root / "config.json", fix)
            progress = has_progress(run)
    seed = cfg.seed if seed is None else seed
    device = resolve_device(cfg.device)
    corpus = load_corpus(cfg.data)
    inputs = input_digests(cfg.data, corpus)
    recorded = read_json_object(run.root / "inputs.json", "delete it (and the run's results) to start over")
    if progress and recorded is not None:
        changed = digests_differ(recorded, inputs)
        if changed:
            raise SpiketextError(
                f"{run.root}: its results were computed from other content of {', '.join(changed)} (the file changed "
                "since); run into a new --out, or delete the folder to start over"
            )
    data = prepare_corpus(corpus, cfg.data, seed)
    check_kernels(cfg.model.kernel_sizes, data.max_len)
    arch = Architecture(
        dim=data.dim,
        num_classes=data.corpus.num_classes,
        num_filters=cfg.model.num_filters,
        kernel_sizes=tuple(cfg.model.kernel_sizes),
        neurons_per_class=cfg.model.neurons_per_class,
        dropout=cfg.model.dropout,
        zero_mean_filters=cfg.model.zero_mean_filters,
        activation=cfg.model.activation,
        levels=cfg.qcfs_levels() if cfg.model.activation == "qcfs" else 0,
        input_domain=cfg.model.input_domain,
    )
    _check_memory(cfg, arch, data.max_len, device)
    # Only now, with the data read and the settings checked, does the folder become this run's.
    if existing is None or not progress or restart is not None:
        atomic_write_json(run.root / "config.json", resolved)
    if recorded is None or not progress:
        atomic_write_json(run.root / "inputs.json", inputs)
    if not (run.root / "data.json").is_file() or not progress:
        atomic_write_json(run.root / "data.json", describe(data))
    dtype = autocast_dtype(cfg.precision, device)
    return Context(cfg, run, data, device, dtype, seed, arch, SpikingSpec.from_config(cfg.snn), inputs)
