"""Opening a run folder, and its ledger: what shaped each stage, and starting a stage over.

`open_run` turns a folder into a `Context` for the stages; its caller holds the folder's `io.writer_lock`. Once
anything of a run is in the folder (a finished stage, a resume state, a result), a different configuration or
changed input files (content digests in inputs.json) are refused rather than mixed with the old results, unless
`restart` names a stage to start over (`restart_from`); a folder with results but without its config.json or
inputs.json is damaged, never fresh.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spiketext.config import NORMALIZED_CHECKPOINTS, STAGES, RunConfig, check_kernels, from_dict, to_dict
from spiketext.data.describe import describe
from spiketext.data.load import digests_differ, input_digests, load_corpus
from spiketext.data.prepare import prepare
from spiketext.errors import SpiketextError
from spiketext.io import atomic_write_json, atomic_write_text, check_writable, read_json_object
from spiketext.models.registry import Architecture
from spiketext.runs import RESULT_ROWS, Context, RunDir, check_run_memory, relocate_data
from spiketext.runtime import autocast_dtype, resolve_device

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
    data = prepare(corpus, cfg.data, seed)
    check_kernels(cfg.model.kernel_sizes, data.max_len)
    levels = cfg.qcfs_levels() if cfg.model.activation == "qcfs" else 0
    arch = Architecture.of(cfg.model, data.dim, data.corpus.num_classes, levels)
    check_run_memory(cfg, arch, data.max_len, device)
    # Only now, with the data read and the settings checked, does the folder become this run's.
    if existing is None or not progress or restart is not None:
        atomic_write_json(run.root / "config.json", resolved)
    if recorded is None or not progress:
        atomic_write_json(run.root / "inputs.json", inputs)
    if not (run.root / "data.json").is_file() or not progress:
        atomic_write_json(run.root / "data.json", describe(data))
    dtype = autocast_dtype(cfg.precision, device)
    return Context(cfg, run, data, device, dtype, seed, arch, inputs)
