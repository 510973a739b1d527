"""Sweeps: the method at every point of a grid of settings, accuracy against energy, and the Pareto front.

Each point is a resumable run folder OUT/points/NAME; points that agree on every setting that shapes the tailored
CNN share one trained CNN (trained once, or taken from another run folder). Every point's configuration is
built and validated before any work starts, so a bad value fails at once, not after hours of earlier points.
The summary (sweep.json / .md / .png) covers every finished point under OUT, so parallel invocations on slices of
a grid add up.
"""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path
from typing import Any

from spiketext.core.checkpoint import checkpoint_exists
from spiketext.errors import SpiketextError
from spiketext.io import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    read_json_object,
    writer_lock,
)
from spiketext.runs.families import family_of
from spiketext.runs.folder import RunDir, find_run_config, finetune_start_key
from spiketext.runs.parallel import Backend, Job, run_jobs
from spiketext.runs.results import RunResult
from spiketext.runs.textcnn import (
    Context,
    convert_stage,
    energy_stage,
    finetune_stage,
    finish,
    open_run,
    train_cnn_stage,
)
from spiketext.settings.config import (
    RunConfig,
    deep_merge,
    from_dict,
    parse_override,
    set_nested,
    to_dict,
)
from spiketext.stats import sample_std

log = logging.getLogger(__name__)


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """["snn.num_steps=4,8", "snn.threshold=0.5,1"] -> {"snn.num_steps": [4, 8], "snn.threshold": [0.5, 1.0]}."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        values = [v.strip() for v in raw.split(",")]
        if not sep or not key.strip() or not raw.strip() or any(v == "" for v in values):
            raise SpiketextError(f"--grid {item!r}: write it as key=v1,v2,..., e.g. snn.num_steps=4,8,16")
        if key.strip() in grid:
            raise SpiketextError(f"--grid {item!r}: {key.strip()} is given twice; list all its values once")
        parsed = [parse_override(f"{key}={v}")[1] for v in values]
        # compared as values, not as text: 1 and 1.0 (or true and True) are one point
        twice = [(values[j], v) for i, v in enumerate(values) for j in range(i) if parsed[i] == parsed[j]]
        if twice:
            first, again = twice[0]
            same = "" if first == again else f" (as {first} and {again})"
            raise SpiketextError(f"--grid {item!r}: one value is given twice{same}; list each value once")
        grid[key.strip()] = parsed
    return grid


def grid_points(cfg: RunConfig, grid: dict[str, list[Any]]) -> list[tuple[dict[str, Any], RunConfig]]:
    """Every point of the grid's product with its validated configuration (any bad value fails here, at once)."""
    keys = list(grid)
    if not keys or any(not grid[k] for k in keys):
        raise SpiketextError("sweep: give at least one setting with values, e.g. --grid snn.num_steps=4,8,16")
    base = to_dict(cfg)
    points = []
    for values in itertools.product(*(grid[k] for k in keys)):
        point = dict(zip(keys, values, strict=True))
        overrides: dict[str, Any] = {}
        for k, v in point.items():
            set_nested(overrides, k.split("."), v)
        pcfg = from_dict(RunConfig, deep_merge(base, overrides), f"sweep point {_point_name(point)}")
        family_of(pcfg)  # its component names too, before any work
        points.append((point, pcfg))
    return points


# Settings that shape the tailored CNN: sweep points that agree on them share one trained CNN.
_CNN_KEYS = ("data", "model", "cnn", "seed", "precision", "device")


def _cnn_signature(cfg: RunConfig) -> dict:
    d = to_dict(cfg)
    resolved = {"noise_steps": cfg.cnn_noise_steps(), "input_levels": cfg.cnn_input_levels()}
    if cfg.model.activation == "qcfs":
        resolved["qcfs_levels"] = cfg.qcfs_levels()  # L = "T" differs between points of different T
    return {**{k: d[k] for k in _CNN_KEYS}, **resolved}


def _point_name(point: dict[str, Any]) -> str:
    return "_".join(f"{k}={v}" for k, v in point.items()).replace("/", "-")


def _copy_cnn(source: Path, ctx: Context) -> None:
    """Give a point's run folder the CNN of `source` (a run folder with the same CNN settings)."""
    src = RunDir(source)
    result = src.results().get("cnn")
    if not result or not checkpoint_exists(src.checkpoint("cnn")):
        raise SpiketextError(f"{source}: no trained CNN there yet; run `spiketext train-cnn --out {source}` first")
    for suffix in (".safetensors", ".json"):  # weights first: the JSON marks the checkpoint as complete
        data = src.checkpoint("cnn").with_suffix(suffix).read_bytes()
        atomic_write_bytes(ctx.run.checkpoint("cnn").with_suffix(suffix), data)
    ctx.run.update_results("cnn", result)


def sweep(
    cfg: RunConfig,
    out: str | Path,
    grid: dict[str, list[Any]],
    cnn_from: str | Path | None = None,
    backend: Backend | None = None,
) -> dict:
    """Fine-tune and count energy at every point of `grid` ({"snn.num_steps": [4, 8], ...}: the product of the
    lists), each point a resumable run folder OUT/points/NAME; points that share CNN settings share one CNN
    (trained once, or taken from `cnn_from`). Writes OUT/sweep.json, sweep.md and sweep.png (accuracy against
    E_SNN / E_CNN, the Pareto front, the CNN as a point). The summary covers every finished point under OUT, so
    parallel invocations on slices of a grid add up.

    `backend` (default: this process): where the points run (`spiketext.runs.parallel`): on Ray, the CNN of each group
    of points is one job and the group's points wait for it; the folders and summary are the same."""
    points = grid_points(cfg, grid)
    with writer_lock(out):
        return _sweep(cfg, Path(out), points, cnn_from, backend)


def _sweep(
    cfg: RunConfig,
    out: Path,
    points: list[tuple[dict[str, Any], RunConfig]],
    cnn_from: str | Path | None,
    backend: Backend | None,
) -> dict:
    if cnn_from is not None:
        src_cfg = find_run_config(cnn_from)
        if src_cfg is None:
            raise SpiketextError(f"--cnn {cnn_from}: not a run folder (no config.json there); give a finished run")
        if _cnn_signature(src_cfg) != _cnn_signature(cfg):
            raise SpiketextError(f"{cnn_from}: its CNN settings differ from this sweep's (data, model, cnn, seed)")
    cnn_dirs: dict[str, Path] = {}
    for folder in sorted((out / "points").glob("*")):  # CNNs trained by earlier invocations on this OUT
        done = read_json_object(folder / "config.json", "delete this point's folder to redo it")
        if (
            done is not None
            and RunDir(folder).results().get("cnn")
            and checkpoint_exists(RunDir(folder).checkpoint("cnn"))
        ):
            sig = json.dumps(_cnn_signature(from_dict(RunConfig, done, "config")), sort_keys=True)
            cnn_dirs.setdefault(sig, folder)
    if cnn_from is not None:
        cnn_dirs[json.dumps(_cnn_signature(cfg), sort_keys=True)] = Path(cnn_from)
    jobs: list[Job] = []
    cnn_jobs: dict[str, str] = {}  # signature -> the job that trains that CNN in this invocation
    for point, pcfg in points:
        folder = out / "points" / _point_name(point)
        sig = json.dumps(_cnn_signature(pcfg), sort_keys=True)
        if sig not in cnn_dirs:  # the first point of a new CNN group trains it, as a job of its own
            cnn_dirs[sig] = folder
            cnn_jobs[sig] = f"cnn {_point_name(point)}"
            jobs.append(Job(cnn_jobs[sig], train_point_cnn, (pcfg, folder, point)))
        after = (cnn_jobs[sig],) if sig in cnn_jobs else ()
        jobs.append(Job(_point_name(point), run_point, (pcfg, folder, point, cnn_dirs[sig]), after))

    def done(key: str, _: Any) -> None:
        log.info("sweep %s done", key)

    run_jobs(jobs, backend or Backend("local"), done)
    return summarize_sweep(out)


def train_point_cnn(pcfg: RunConfig, folder: Path, point: dict[str, Any]) -> str:
    """Train the tailored CNN in a sweep point's folder (the CNN its group shares)."""
    with writer_lock(folder):
        ctx = open_run(pcfg, folder, can_restart=False)
        atomic_write_json(folder / "point.json", point)
        train_cnn_stage(ctx)
    return str(folder)


def run_point(pcfg: RunConfig, folder: Path, point: dict[str, Any], cnn_source: Path) -> str:
    """One sweep point in its resumable folder: the CNN copied from `cnn_source` (unless it is this folder),
    then conversion, fine-tuning and the energy count."""
    with writer_lock(folder):
        ctx = open_run(pcfg, folder, can_restart=False)
        atomic_write_json(folder / "point.json", point)
        if Path(cnn_source) != Path(folder) and "cnn" not in ctx.run.results():
            _copy_cnn(Path(cnn_source), ctx)
        train_cnn_stage(ctx)
        convert_stage(ctx)
        finetune_stage(ctx)
        energy_stage(ctx)
        finish(ctx)
    return str(folder)


def _point_row(folder: Path, out: Path, point: dict, results: RunResult) -> dict:
    """One finished sweep point's row of sweep.json."""
    cnn, ft, e = results.stage("cnn"), results.stage("snn_finetuned"), results.energy
    assert e is not None
    start = results.get(_start_key(folder)) or results.stage("snn_converted")
    return {
        "config": point,
        "test_acc": ft.test_acc,
        "test_std": ft.test_std,
        "dev_acc": ft.dev_acc,
        # the converted model fine-tuning started from (the plain copy, a normalized one, or QCFS)
        "converted_test_acc": start.test_acc,
        "cnn_test_acc": cnn.test_acc,
        # the headline (every operation, real positions; a run from before it: the first accounting's)
        "energy_ratio": e.headline,
        "energy_accounting": "reviewer" if e.ratio_all_ops is not None else "first (synaptic ops, padded)",
        "energy_ratio_synaptic_only": e.first_accounting.get("ratio"),
        "energy_ratio_memory_32KB": e.ratio_memory_sram.get("32KB"),
        "energy_ratio_zero_skip_cnn": e.ratio_zero_skip_cnn,
        "energy_ratio_all_ops_int8": e.ratio_all_ops_int8,
        "energy_ratio_quantized_cnn": e.ratio_quantized_cnn,
        "cnn_dev_acc": cnn.dev_acc,
        "energy_ratio_with_membrane": e.first_accounting.get("ratio_with_membrane"),
        "input_spikes_per_unit": e.input_spikes_per_unit,
        "input_rate": e.input_rate,
        "run": str(folder.relative_to(out)),
        "device": (read_json_object(folder / "config.json") or {}).get("device"),
    }


def summarize_sweep(out: str | Path) -> dict:
    """Collect every finished point under OUT/points into sweep.json / .md / .png."""
    out = Path(out)
    points, cnns, unfinished = [], [], []
    for folder in sorted(f for f in (out / "points").glob("*") if f.is_dir()):
        raw = RunDir(folder).results()
        point = read_json_object(folder / "point.json", "delete this point's folder to redo it")
        results = RunResult.from_json(raw, str(folder / "results.json"))
        missing = [name for name, ok in (("point.json", point is not None), ("results.json", bool(raw))) if not ok]
        missing += [k for k in ("cnn", "snn_finetuned") if raw and k not in results]
        missing += ["energy"] if raw and results.energy is None else []
        if missing:
            unfinished.append(f"{folder.name} (no {', '.join(missing)})")
            continue
        assert point is not None and results.energy is not None
        cnns.append(results.stage("cnn"))
        points.append(_point_row(folder, out, point, results))
    if unfinished:
        raise SpiketextError(
            f"{out}: {len(unfinished)} of {len(unfinished) + len(points)} sweep points are unfinished or damaged: "
            f"{'; '.join(unfinished)}; sweep.json is left as it was: finish them with the same sweep command (with "
            "its --grid), or delete their folders under points/ to summarize the rest"
        )
    if not points:
        raise SpiketextError(f"{out}: no finished sweep points yet")
    # the CNN most points share (points may bring their own, e.g. with cnn.noise_steps=T)
    keys = [(c.test_acc, c.dev_acc) for c in cnns]
    cnn = cnns[max(range(len(keys)), key=lambda i: (keys.count(keys[i]), -i))]
    points.sort(key=lambda p: (p["energy_ratio"], -p["test_acc"]))
    best = -1.0
    for p in points:  # Pareto: no point with less energy is at least as accurate
        p["pareto"] = p["test_acc"] > best
        best = max(best, p["test_acc"])
    summary = {
        "cnn": {"test_acc": cnn.test_acc, "dev_acc": cnn.dev_acc, "energy_ratio": 1.0},
        "points": points,
        "groups": seed_groups(points),
        "notes": [
            "energy_ratio = E_SNN / E_CNN on the test set in the reviewer's accounting (both models on windows "
            "touching a real word, every operation, fp32 45 nm costs; spiketext.energy.accounting) where "
            "energy_accounting says so, else the first accounting's synaptic ops only; energy_ratio_synaptic_only: "
            "the first accounting; energy_ratio_memory_32KB: memory-inclusive with a 32 KB SRAM; "
            "energy_ratio_with_membrane: the first accounting's column; test_acc: dev-selected fine-tuned SNN, "
            "dev_acc its dev accuracy; groups: the points that differ only in seed, mean ± sample std"
        ],
    }
    atomic_write_json(out / "sweep.json", summary)
    atomic_write_text(out / "sweep.md", sweep_markdown(summary))
    from spiketext.viz import save_figure, sweep_figure  # matplotlib only where a figure is drawn

    save_figure(sweep_figure(summary), out / "sweep.png")
    return summary


def _mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation over seeds (ddof 1, as `run --seeds` reports them)."""
    return sum(values) / len(values), sample_std(values)


def seed_groups(points: list[dict]) -> list[dict]:
    """Points that differ only in `seed`, merged: mean ± std (over seeds) of the accuracies and energy ratios,
    sorted by energy, with the Pareto front over the means."""
    groups: dict[str, list[dict]] = {}
    for p in points:
        key = json.dumps({k: v for k, v in p["config"].items() if k != "seed"}, sort_keys=True)
        groups.setdefault(key, []).append(p)
    out = []
    for key, members in groups.items():
        g: dict = {"config": json.loads(key), "seeds": [m["config"].get("seed") for m in members], "n": len(members)}
        g["energy_accounting"] = "/".join(sorted({m.get("energy_accounting", "first") for m in members}))
        for field in (
            "test_acc",
            "dev_acc",
            "cnn_dev_acc",
            "energy_ratio_synaptic_only",
            "energy_ratio_memory_32KB",
            "energy_ratio_zero_skip_cnn",
            "energy_ratio_all_ops_int8",
            "energy_ratio_quantized_cnn",
            "converted_test_acc",
            "cnn_test_acc",
            "energy_ratio",
            "input_spikes_per_unit",
        ):
            values = [m[field] for m in members if m.get(field) is not None]
            if values:
                g[field], g[f"{field}_std"] = _mean_std(values)
        out.append(g)
    out.sort(key=lambda g: (g["energy_ratio"], -g["test_acc"]))
    best = -1.0
    for g in out:
        g["pareto"] = g["test_acc"] > best
        best = max(best, g["test_acc"])
    return out


def _start_key(folder: Path) -> str:
    results = read_json_object(folder / "results.json") or {}
    return finetune_start_key(results, read_json_object(folder / "config.json") or {})


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def sweep_markdown(summary: dict) -> str:
    cnn = summary["cnn"]
    lines = [
        f"Tailored CNN most points share: test {100 * cnn['test_acc']:.2f}% at E / E_CNN = 1 (each point's own CNN in "
        "its row).",
        "",
        "| point | test acc (%) | converted (%) | its CNN (%) | E_SNN / E_CNN | memory-incl. 32 KB | first accounting "
        "| input rate | Pareto |",
        "|---|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for p in summary["points"]:
        name = ", ".join(f"{k.split('.')[-1]} = {v}" for k, v in p["config"].items())
        std = f" ± {100 * p['test_std']:.2f}" if p.get("test_std") else ""
        lines.append(
            f"| {name} | {100 * p['test_acc']:.2f}{std} | {100 * p['converted_test_acc']:.2f} | "
            f"{100 * p['cnn_test_acc']:.2f} | {p['energy_ratio']:.3f} | {_fmt(p.get('energy_ratio_memory_32KB'))} | "
            f"{_fmt(p.get('energy_ratio_synaptic_only', p['energy_ratio']))} | {p['input_rate']:.3f} | "
            f"{'✓' if p['pareto'] else ''} |"
        )
    groups = summary.get("groups") or []
    if any(g["n"] > 1 for g in groups):
        lines += [
            "",
            "Means ± sample std over seeds (points that differ only in seed):",
            "",
            "| point | seeds | SNN test (%) | SNN dev (%) | its CNN (%) | E/E_CNN | memory-incl. 32 KB | first "
            "accounting | spikes/unit | Pareto |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|:-:|",
        ]
        for g in groups:
            name = ", ".join(f"{k.split('.')[-1]} = {v}" for k, v in g["config"].items()) or "(all)"

            def fmt(field: str, scale: float = 1.0, digits: int = 3, g: dict = g) -> str:
                return "" if field not in g else f"{scale * g[field]:.{digits}f}"

            lines.append(
                f"| {name} | {g['n']} | {fmt('test_acc', 100, 2)} ± {fmt('test_acc_std', 100, 2)} | "
                f"{fmt('dev_acc', 100, 2)} | {fmt('cnn_test_acc', 100, 2)} ± {fmt('cnn_test_acc_std', 100, 2)} | "
                f"{fmt('energy_ratio')} | {fmt('energy_ratio_memory_32KB')} | {fmt('energy_ratio_synaptic_only')} | "
                f"{fmt('input_spikes_per_unit', 1, 2)} | {'✓' if g['pareto'] else ''} |"
            )
    return "\n".join(lines) + "\n"
