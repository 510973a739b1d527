"""Opening a run folder, and its ledger: what shaped each stage, and starting a stage over.

`open_run` turns a folder into a `Context` for the stages; its caller holds the folder's `io.writer_lock`. Once
anything of a run is in the folder (a finished stage, a resume state, a result), a different configuration or
changed input files (content digests in inputs.json) are refused rather than mixed with the old results, unless
`restart` names a stage to start over; a folder with results but without its config.json or inputs.json is
damaged, never fresh.

Check everything, then change anything: the whole plan (settings, data digests, kernel and memory checks, what
`restart` would discard) is validated before the first file is touched, so a refused command leaves the folder
byte for byte as it was. A restart then moves the discarded stages' files aside (`Restart`, into
RUN/.restart-backup/) and deletes them only once the new stage has written its first epoch or checkpoint
(`started`); a failure before that, or a kill -9 (undone when the folder is next opened), puts them back.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from spiketext.core.codes import DOMAINS
from spiketext.core.models.architecture import ACTIVATIONS
from spiketext.core.models.convert import NORMALIZATIONS, NORMALIZED_CHECKPOINTS
from spiketext.core.models.registry import Architecture
from spiketext.core.models.spiking import LOSSES, check_snn
from spiketext.core.runtime import autocast_dtype, resolve_device
from spiketext.data.corpus import Corpus
from spiketext.data.describe import describe
from spiketext.data.load import digests_differ, input_digests, load_corpus
from spiketext.data.prepare import prepare
from spiketext.errors import SpiketextError
from spiketext.io import atomic_write_json, atomic_write_text, check_writable, read_json_object
from spiketext.runs.folder import RESULT_ROWS, Context, RunDir, check_run_memory, relocate_data
from spiketext.settings.config import RunConfig, check_kernels, from_dict, to_dict

log = logging.getLogger(__name__)

# --- the ledger: what shaped each stage, and starting a stage over ------------------------------------------------


@dataclass(frozen=True)
class StagePlan:
    """A model family's stages in order, and the results, checkpoints and resume states each owns (a stage's
    outputs depend on its own settings and on every earlier stage's). `first_stage` maps a top-level setting to
    the first stage it shapes (a setting not listed shapes the whole run); settings in `ignored` do not apply to
    the family and never make a folder's settings differ."""

    stages: tuple[str, ...]
    results: dict[str, tuple[str, ...]]
    states: dict[str, tuple[str, ...]]
    first_stage: dict[str, str]
    ignored: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()  # derived files of the run's root, rewritten at the end of a run

    def first(self, keys: list[str]) -> str:
        """The earliest stage any of the settings `keys` (dotted names) shapes (the longest listed prefix of a
        name decides: `transformer.levels` before `transformer`)."""
        stages = [self._stage_of(k) for k in keys]
        return min(stages, key=self.stages.index) if stages else self.stages[-1]

    def _stage_of(self, key: str) -> str:
        parts = key.split(".")
        for n in range(len(parts), 0, -1):
            stage = self.first_stage.get(".".join(parts[:n]))
            if stage is not None:
                return stage
        return self.stages[0]

    def differing(self, old: dict, new: dict) -> list[str]:
        """The settings (dotted names) that differ and apply to this family."""
        return [k for k in differing_settings(old, new) if k.split(".")[0] not in self.ignored]


# The TextCNN's plan. The normalized conversions are the convert stage's (fine-tuning may start from any of them),
# never the baselines'.
_BASELINE_KEYS = tuple(k for k in RESULT_ROWS if k not in ("cnn", "snn_finetuned", *NORMALIZED_CHECKPOINTS.values()))
TEXTCNN_PLAN = StagePlan(
    stages=("cnn", "convert", "finetune", "baselines"),
    results={
        "cnn": ("cnn",),
        "convert": tuple(NORMALIZED_CHECKPOINTS.values()),
        "finetune": ("snn_finetuned", "energy"),
        "baselines": _BASELINE_KEYS,
    },
    states={
        "cnn": ("cnn",),
        "convert": (),
        "finetune": ("snn_finetune",),
        "baselines": ("standard_cnn", "snn_direct", "random_emb_cnn", "random_emb_snn_finetune"),
    },
    first_stage={"snn": "convert", "test_repeats": "convert", "finetune": "finetune", "baselines": "baselines"},
    ignored=("transformer",),
    dropped=("results.md", "curves.png", "energy.json", "energy.md", "energy.png"),
)
_RECORDS = ("config.json", "inputs.json", "data.json", "results.json", "metrics.jsonl")
BACKUP = ".restart-backup"
_RECORD = ".restart.json"  # in the backup: which stage the restart discarded


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
    """The earliest stage of the TextCNN's any of the settings `keys` (dotted names) shapes."""
    return TEXTCNN_PLAN.first(keys)


class Restart:
    """Starting `stage` and every later one over, as a transaction on the run folder.

    `begin` moves the discarded stages' checkpoints, resume states and derived files into RUN/.restart-backup/
    (copies of the records it rewrites go there too) and rewrites results.json and metrics.jsonl without them;
    `commit` deletes the backup once the new stage has written; `rollback` puts everything back as it was.
    """

    def __init__(self, run: RunDir, stage: str, plan: StagePlan = TEXTCNN_PLAN) -> None:
        self.run, self.stage, self.plan = run, stage, plan
        later = plan.stages[plan.stages.index(stage) :]
        self.keys = [k for s in later for k in plan.results[s]]
        self.states = [st for s in later for st in plan.states[s]]
        self.backup = run.root / BACKUP

    def owned(self) -> list[Path]:
        """Every file of the folder the discarded stages own (the records too when the whole run starts over)."""
        root = self.run.root
        files = [self.run.checkpoints / f"{k}{ext}" for k in self.keys for ext in (".json", ".safetensors")]
        files += [f for st in self.states for f in sorted(self.run.state.glob(f"{st}_*"))]
        files += [root / name for name in self.plan.dropped]
        if self.stage == self.plan.stages[0]:
            files += [root / name for name in _RECORDS]
        return [f for f in files if f.is_file()]

    def begin(self) -> None:
        root = self.run.root
        results = self.run.results()
        metrics = self.run.metrics()
        self.backup.mkdir()
        atomic_write_json(self.backup / _RECORD, {"stage": self.stage, "stages": list(self.plan.stages)})  # first
        for name in _RECORDS:  # the records this restart rewrites: copies, so a rollback restores them
            if (root / name).is_file():
                shutil.copy2(root / name, self.backup / name)
        for f in self.owned():
            dest = self.backup / f.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, dest)
        if self.stage == self.plan.stages[0]:
            return
        for key in self.keys:
            results.pop(key, None)
        results.pop("notes", None)
        atomic_write_json(root / "results.json", results)
        lines = [x for x in metrics if x.get("stage") not in self.states]
        atomic_write_text(root / "metrics.jsonl", "".join(json.dumps(x) + "\n" for x in lines))

    def commit(self) -> None:
        shutil.rmtree(self.backup, ignore_errors=True)

    def rollback(self) -> None:
        """Remove what the new stages wrote, then move every backed-up file back into place."""
        if not self.backup.is_dir():
            return
        for f in self.owned():
            f.unlink()
        for name in _RECORDS:  # a record the folder did not have before the restart (every other one is backed up)
            if not (self.backup / name).is_file():
                (self.run.root / name).unlink(missing_ok=True)
        for f in sorted(p for p in self.backup.rglob("*") if p.is_file() and p.name != _RECORD):
            dest = self.run.root / f.relative_to(self.backup)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, dest)
        shutil.rmtree(self.backup, ignore_errors=True)


def undo_interrupted_restart(run: RunDir, plan: StagePlan) -> None:
    """A backup left by a restart killed before its new stage wrote anything: put the old run back."""
    backup = run.root / BACKUP
    if not backup.is_dir():
        return
    record = read_json_object(backup / _RECORD, f"delete {backup} if the run looks right without it") or {}
    stage = record.get("stage")
    if stage not in plan.stages:
        raise SpiketextError(
            f"{backup}: a restart's backup without its record; move its files back by hand, or delete it"
        )
    Restart(run, stage, plan).rollback()
    log.warning("%s: a --restart %s was interrupted before its first epoch; the run is as it was before it", run.root,
                stage)  # fmt: skip


@contextlib.contextmanager
def started(ctx: Context) -> Iterator[Context]:
    """Run the stages of `ctx`: a pending restart commits once a new stage has written (see RunDir.wrote), or at
    the end; any failure before that (Ctrl-C included) rolls it back."""
    try:
        yield ctx
    except BaseException:
        if ctx.run.pending is not None:
            ctx.run.pending.rollback()
            ctx.run.pending = None
        raise
    ctx.run.wrote()


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


@dataclass(frozen=True)
class Folder:
    """A run folder as the ledger opened it: checked against `cfg`, its data read and its inputs' digests."""

    run: RunDir
    corpus: Corpus
    inputs: dict
    seed: int
    device: torch.device


# A family's preparation: (config, corpus, seed, device) -> (what its stages need, data.json's record). It makes
# every check of its own (lengths, memory) and raises before the folder changes.
Prepare = Callable[[RunConfig, Corpus, int, torch.device], tuple[Any, dict]]


def open_folder(
    cfg: RunConfig,
    out: str | Path,
    prepare: Prepare,
    plan: StagePlan,
    seed: int | None = None,
    restart: str | None = None,
    can_restart: bool = True,
) -> tuple[Folder, Any]:
    """Create or reopen a run folder for `cfg` (the caller holds its `writer_lock`; run its stages inside
    `started(...)`, which settles a restart); returns the folder and what `prepare` made.

    A folder with any progress (a finished stage, a resume state, a result) must hold the same configuration
    and inputs with the same content: a difference is refused with the differing settings, or with `restart`
    that stage and the later ones start over (the earlier stages must not depend on what differs). A folder with
    progress but without its config.json or inputs.json is damaged, never fresh. Every check runs before the
    folder is changed. `can_restart` False: the caller's verb has no --restart (a sweep point), and a refusal
    says what to do instead."""
    run = RunDir(check_writable(out))
    undo_interrupted_restart(run, plan)
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
    discard = _stage_to_discard(cfg, plan, run, existing, resolved, progress, restart, can_restart)
    keeps = progress and discard != plan.stages[0]  # what the run keeps must come from the same input files
    seed = cfg.seed if seed is None else seed
    device = resolve_device(cfg.device)
    corpus = load_corpus(cfg.data)
    inputs = input_digests(cfg.data, corpus)
    recorded = read_json_object(run.root / "inputs.json", "delete it (and the run's results) to start over")
    if keeps and recorded is not None:
        changed = digests_differ(recorded, inputs)
        if changed:
            raise SpiketextError(
                f"{run.root}: its results were computed from other content of {', '.join(changed)} (the file changed "
                "since); run into a new --out, or delete the folder to start over"
            )
    prepared, record = prepare(cfg, corpus, seed, device)
    # Only now, with the data read and every setting checked, does the folder change.
    if discard is not None:
        run.pending = Restart(run, discard, plan)
        run.pending.begin()
        progress = has_progress(run)
        recorded = recorded if keeps else None
    if existing is None or not progress or discard is not None:
        atomic_write_json(run.root / "config.json", resolved)
    if recorded is None or not progress:
        atomic_write_json(run.root / "inputs.json", inputs)
    if not (run.root / "data.json").is_file() or not progress:
        atomic_write_json(run.root / "data.json", record)
    return Folder(run, corpus, inputs, seed, device), prepared


def check_textcnn(cfg: RunConfig) -> None:
    """The TextCNN's settings that name components, against their registries (one line naming the closest)."""
    check_snn(cfg.snn)
    ACTIVATIONS.check(cfg.model.activation, "model.activation")
    DOMAINS.check(cfg.model.input_domain, "model.input_domain")
    LOSSES.check(cfg.finetune.loss, "finetune.loss")
    if cfg.finetune.init != "dev":
        NORMALIZATIONS.check(cfg.finetune.init, "finetune.init")


def _prepare_textcnn(cfg: RunConfig, corpus: Corpus, seed: int, device: torch.device) -> tuple[Any, dict]:
    """The TextCNN's inputs (token ids [N, L], the e⁺ table) and the checks its settings need."""
    check_textcnn(cfg)
    data = prepare(corpus, cfg.data, seed)
    check_kernels(cfg.model.kernel_sizes, data.max_len)
    levels = cfg.qcfs_levels() if cfg.model.activation == "qcfs" else 0
    arch = Architecture.of(cfg.model, data.dim, data.corpus.num_classes, levels, cfg.cnn_input_levels())
    check_run_memory(cfg, arch, data.max_len, device)
    return (data, arch), describe(data)


def open_run(
    cfg: RunConfig, out: str | Path, seed: int | None = None, restart: str | None = None, can_restart: bool = True
) -> Context:
    """`open_folder` for a TextCNN run: its `Context`."""
    folder, (data, arch) = open_folder(cfg, out, _prepare_textcnn, TEXTCNN_PLAN, seed, restart, can_restart)
    dtype = autocast_dtype(cfg.precision, folder.device)
    return Context(cfg, folder.run, data, folder.device, dtype, folder.seed, arch, folder.inputs)


def _stage_to_discard(
    cfg: RunConfig,
    plan: StagePlan,
    run: RunDir,
    existing: dict | None,
    resolved: dict,
    progress: bool,
    restart: str | None,
    can_restart: bool = True,
) -> str | None:
    """The stage a `restart` discards (None: nothing), or the refusal of the settings that differ."""
    if restart is not None and restart not in plan.stages:
        raise SpiketextError(f"--restart {restart!r}: not a stage; choose one of {', '.join(plan.stages)}")
    if restart == "baselines" and not cfg.baselines:
        raise SpiketextError(
            "--restart baselines: this run computes no baselines (baselines = false), so there is nothing to start "
            "over; add --baselines to compute them"
        )
    if existing is None or not progress:
        return None
    try:
        old = to_dict(from_dict(RunConfig, relocate_data(existing, run.root), str(run.root / "config.json")))
    except SpiketextError:
        old = existing
    changed = plan.differing(old, resolved)
    if changed and restart is None:
        redo = (
            f"add --restart {plan.first(changed)} to start that stage and the later ones over"
            if can_restart
            else f"delete {run.root} to redo it"
        )
        raise SpiketextError(
            f"{run.root}: holds a run with different settings ({', '.join(changed)}); rerun with the folder's "
            f"settings, {redo}, or choose another --out"
        )
    earliest = plan.first(changed) if changed else None
    if restart is not None and earliest is not None and plan.stages.index(earliest) < plan.stages.index(restart):
        raise SpiketextError(
            f"--restart {restart}: the settings that differ ({', '.join(changed)}) shape the {earliest} "
            f"stage already; use --restart {earliest}"
        )
    return restart
