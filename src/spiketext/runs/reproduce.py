"""Reproduction: data sets × presets × seeds as resumable run folders, then the method table, report and plot.

`reproduce` runs every (preset, data set, seed) as one job (`spiketext.runs.parallel`: this process, processes, or Ray),
each in OUT/<preset>_<dataset>/seed<S>/ (OUT/<preset>_<dataset>/ itself with one seed); where seeds are stacked
(`stack_seeds`, by default on a GPU) a (preset, data set) group is one job that trains its seeds as one stacked
model in the same folders. Then it writes each group's mean ± std
over seeds (as `spiketext run --seeds N` does) and OUT/method.json / .md / .png from every finished folder: a
rerun after an interruption finishes only what is missing.

`method_table(RUNS)` reads such folders (`<preset>_<dataset>`: a `spiketext run` folder, or a `run --seeds N` one
with seedN/ sub-folders). Accuracies are test accuracies in percent at the dev-selected epoch; SNN numbers are the
mean over the recorded Bernoulli draws (and over seeds, with the std over seeds). A fine-tuning run stopped before
its last epoch is marked with its epoch count. Where the runs recorded every epoch's test accuracy
(`cnn.record_test`, `finetune.record_test`: the paper preset does), the authors' protocol, the best test accuracy
over epochs (for the SNN, over the converted model and every fine-tuning epoch), is given as `*_best_test_epoch`:
a labelled secondary number, never a selection.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from spiketext.errors import SpiketextError
from spiketext.io import atomic_write_json, atomic_write_text, writer_lock
from spiketext.runs.folder import finetune_start_key
from spiketext.runs.parallel import Backend, Job, run_jobs
from spiketext.runs.results import RunResult
from spiketext.runs.seeds import run, seed_config, seed_summary, stacks_seeds, summarize_seeds
from spiketext.runs.textcnn import run_single
from spiketext.settings.config import BUILTIN_DATASETS, RunConfig, deep_merge, from_dict
from spiketext.settings.presets import PRESETS, build_run_config
from spiketext.stats import sample_std

log = logging.getLogger(__name__)

DATASETS = ("mr", "sst2", "subj", "sst5", "chnsenti", "waimai")
# finetune.init -> the results row of that converted model (spiketext.core.models.convert.NORMALIZED_CHECKPOINTS)
START_KEYS = {
    "none": "snn_converted",
    "model": "snn_converted_model_norm",
    "data_max": "snn_converted_data_norm_max",
    "data_p999": "snn_converted_data_norm_p999",
    "qcfs": "snn_converted_qcfs",
}
PAPER = {  # docs/design.md §1.6: 300d vectors, test-set selection
    "cnn": {"mr": 77.41, "sst2": 83.25, "subj": 94.00, "sst5": 45.48, "chnsenti": 86.74, "waimai": 88.49},
    "snn_finetuned": {"mr": 75.45, "sst2": 80.91, "subj": 90.60, "sst5": 41.63, "chnsenti": 85.02, "waimai": 86.66},
}


def _best_test_epochs(folder: Path, converted_test: float) -> tuple[float | None, float | None]:
    """(CNN, SNN) best test accuracy over epochs from metrics.jsonl, or None where test was not recorded."""
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines() if line.strip()]
    cnn = [r["test_acc"] for r in rows if r["stage"] == "cnn" and "test_acc" in r]
    snn = [r["test_acc"] for r in rows if r["stage"] == "snn_finetune" and "test_acc" in r]
    return (max(cnn) if cnn else None), (max([converted_test, *snn]) if snn else None)


def _mean(values: list[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else 100 * sum(values) / len(values)  # type: ignore


ABLATIONS = {  # docs/design.md §1.4: the rows `--baselines` adds (runs.RESULT_ROWS), in the table's order
    "standard_cnn": "standard TextCNN (max pool, biases, raw vectors)",
    "snn_converted_model_norm": "SNN converted, model-based normalization",
    "snn_converted_data_norm_max": "SNN converted, data-based normalization (max)",
    "snn_converted_data_norm_p999": "SNN converted, data-based normalization (99.9th pct)",
    "snn_direct": "SNN trained directly from random init",
    "random_emb_cnn": "tailored CNN, random embeddings",
    "random_emb_snn_finetuned": "SNN converted + fine-tuned, random embeddings",
}


def _group(folder: Path) -> tuple[RunResult, dict, list[Path], bool]:
    """A run or grid group folder's summary, configuration, seed folders, and whether it is still running (a grid
    group with fewer seeds finished than it needs: summarized here from the seeds so far, nothing written)."""
    if (folder / "results.json").is_file():
        r = RunResult.from_json(json.loads((folder / "results.json").read_text()), str(folder / "results.json"))
        cfg = json.loads((folder / "config.json").read_text())
        return r, cfg, [folder / f"seed{s}" for s in r.seeds] or [folder], False
    seed_dirs = _finished_seeds(folder)
    cfg = json.loads((seed_dirs[0] / "config.json").read_text())
    r = seed_summary(
        from_dict(RunConfig, cfg, str(seed_dirs[0] / "config.json")),
        [RunResult.from_json(json.loads((d / "results.json").read_text()), str(d)) for d in seed_dirs],
    )
    return r, cfg, seed_dirs, True


def _finished_seeds(folder: Path) -> list[Path]:
    """A grid group's seed folders whose run finished (grid_cpu.sh writes run.time last), at most the first 3."""
    if not folder.is_dir():
        return []
    done = [p for p in folder.glob("seed*") if (p / "run.time").is_file() and (p / "results.json").is_file()]
    return sorted(done, key=lambda p: int(p.name[4:]) if p.name[4:].isdigit() else 1 << 30)[:3]


def _finetune_epochs(folder: Path) -> int:
    return sum(1 for line in (folder / "metrics.jsonl").read_text().splitlines() if '"snn_finetune"' in line)


def method_table(runs: str | Path) -> dict:
    """{preset: {dataset: row}} from the `<preset>_<dataset>` run folders under `runs` (see the module docstring).

    A row holds test accuracies in percent (`key`, mean over seeds) with `key_std` (std over seeds, or over the
    Bernoulli draws of a single seed) and `key_dev` (dev accuracy, the selection's criterion) for the CNN, the
    converted and fine-tuned SNN and every ablation the runs hold (`ABLATIONS`)."""
    runs = Path(runs)
    table: dict = {}
    for folder in sorted(p for p in runs.iterdir() if (p / "results.json").is_file() or _finished_seeds(p)):
        preset, dataset = folder.name.split("_", 1)
        r, cfg, seed_dirs, running = _group(folder)
        raw_seeds = [json.loads((d / "results.json").read_text()) for d in seed_dirs]
        per_seed = [
            RunResult.from_json(rd, str(d / "results.json")) for rd, d in zip(raw_seeds, seed_dirs, strict=True)
        ]
        ft = r.get("snn_finetuned")
        # the model fine-tuning starts from: the plain copy (paper), a normalized copy, or the one chosen on dev
        start_keys = [finetune_start_key(rd, cfg) for rd in raw_seeds]
        starts = sorted({next(k for k, v in START_KEYS.items() if v == key) for key in start_keys})
        epochs = [_finetune_epochs(d) for d in seed_dirs]
        start_accs = [
            (rd.get(key) or rd.stage("snn_converted")).test_acc for rd, key in zip(per_seed, start_keys, strict=True)
        ]
        best = [_best_test_epochs(d, acc) for d, acc in zip(seed_dirs, start_accs, strict=True)]
        multi = len(seed_dirs) > 1
        row = {
            "start": "/".join(starts),
            "snn_start": _mean(start_accs),
            "snn_start_std": 100 * sample_std(start_accs) if multi else None,
            "std_over": "seeds" if multi else "Bernoulli draws",
            "gap": 100 * (r.stage("cnn").test_acc - ft.test_acc) if ft else None,
            "cnn_best_test_epoch": _mean([b[0] for b in best]),
            "snn_best_test_epoch": _mean([b[1] for b in best]),
            "finetune_epochs_done": min(epochs),
            "finetune_epochs_range": f"{min(epochs)}–{max(epochs)}" if min(epochs) != max(epochs) else str(epochs[0]),
            "finetune_epochs": cfg["finetune"]["epochs"],
            "finetune_patience": cfg["finetune"].get("patience"),
            "complete": ft is not None and not ft.partial,
            "seeds": len(seed_dirs),
            "running": running,  # fewer seeds than the grid's 3 so far: no summary written yet
        }
        row.update(_accuracy_cells(r, per_seed))
        e = r.energy
        row["energy_ratio"] = e.ratio_all_ops if e else None  # the reviewer's accounting (None: the first one only)
        row["energy_ratio_memory_32KB"] = e.ratio_memory_sram.get("32KB") if e else None
        row["energy_ratio_first_accounting"] = e.first_accounting.get("ratio") if e else None
        row.setdefault("snn_finetuned", None)
        row["cnn_std_seeds"] = row.get("cnn_std")  # the older name
        table.setdefault(preset, {})[dataset] = row
    return table


def _accuracy_cells(r: RunResult, per_seed: list[RunResult]) -> dict:
    """Each model's test % (mean over seeds), its spread (the sample std over seeds, from the seeds' own rows: a
    summary written before the switch to ddof 1 holds the population one; one seed: the std over its Bernoulli
    draws) and its dev %."""
    multi, cells = len(per_seed) > 1, {}
    for key in ("cnn", "snn_converted", "snn_finetuned", *ABLATIONS):
        s = r.get(key)
        if s is None:
            continue
        cells[key] = 100 * s.test_acc
        seed_rows = [p.get(key) for p in per_seed]
        spread = (
            sample_std([x.test_acc for x in seed_rows if x is not None])
            if multi and all(x is not None for x in seed_rows)
            else (s.test_std or 0.0)
        )
        cells[f"{key}_std"] = 100 * spread if (multi or key != "cnn") else None
        cells[f"{key}_dev"] = 100 * s.dev_acc if s.dev_acc is not None else None
    return cells


def method_markdown(table: dict) -> str:
    """The method table as Markdown: the paper's numbers, then each preset's rows over the six data sets (test %,
    mean ± std over seeds; the authors' best-test-epoch protocol and the ablations as labelled rows)."""
    head = "| | " + " | ".join(DATASETS) + " | mean gap |"
    lines = [head, "|---|" + "---:|" * (len(DATASETS) + 1)]
    for key, label in (("cnn", "TextCNN (paper, 300d)"), ("snn_finetuned", "SNN fine-tuned (paper, 300d)")):
        row = [f"{PAPER[key][d]:.2f}" for d in DATASETS]
        gap = sum(PAPER["cnn"][d] - PAPER["snn_finetuned"][d] for d in DATASETS) / len(DATASETS)
        lines.append(f"| {label} | " + " | ".join(row) + (f" | {gap:.2f} |" if key == "snn_finetuned" else " | |"))
    for preset, rows in table.items():
        starts = {v["start"] for v in rows.values()}
        keys = [("cnn", "tailored CNN"), ("snn_converted", "SNN converted (plain copy)")]
        if starts != {"none"}:
            keys.append(("snn_start", f"SNN converted ({'/'.join(sorted(starts))}, fine-tuning's start)"))
        keys.append(("snn_finetuned", "SNN converted + fine-tuned"))
        authors = any(v.get("snn_best_test_epoch") is not None for v in rows.values())
        if authors:
            keys += [
                ("cnn_best_test_epoch", "tailored CNN, best test epoch (the authors' protocol, not a selection)"),
                ("snn_best_test_epoch", "SNN, best test epoch over the start and the fine-tuning epochs run (the "
                                        "authors' protocol, not a selection)"),
            ]  # fmt: skip
        keys += [(k, label) for k, label in ABLATIONS.items() if any(v.get(k) is not None for v in rows.values())]
        for key, label in keys:
            cells = []
            for d in DATASETS:
                v = rows.get(d, {})
                if v.get(key) is None:
                    cells.append("–")
                    continue
                cell = f"{v[key]:.2f}"
                if v.get("seeds", 1) > 1 and v.get(f"{key}_std") is not None:
                    cell += f" ± {v[f'{key}_std']:.2f}"
                if v.get("running") and key in ("cnn", "snn_finetuned"):
                    cell += f" ({v['seeds']} of 3 seeds)"
                if key == "snn_finetuned" and not v["complete"]:
                    cell += f" ({v['finetune_epochs_done']}/{v['finetune_epochs']} ep.)"
                cells.append(cell)
            gaps = [rows[d]["gap"] for d in DATASETS if rows.get(d, {}).get("gap") is not None]
            mean_gap = f" {sum(gaps) / len(gaps):.2f} |" if key == "snn_finetuned" and gaps else " |"
            lines.append(f"| {preset}: {label} | " + " | ".join(cells) + " |" + mean_gap)
        gaps = [f"{rows[d]['gap']:+.2f}" if rows.get(d, {}).get("gap") is not None else "–" for d in DATASETS]
        lines.append(f"| {preset}: gap CNN − SNN | " + " | ".join(gaps) + " | |")
        if authors:  # over which epochs the authors' protocol took its best: dev's early stop ends fine-tuning
            patience = {v["finetune_patience"] for v in rows.values()} - {None}
            stop = f", stopped {'/'.join(map(str, sorted(patience)))} epochs after dev's best" if patience else ""
            total = "/".join(map(str, sorted({v["finetune_epochs"] for v in rows.values()})))
            cells = [rows[d]["finetune_epochs_range"] if d in rows else "–" for d in DATASETS]
            lines.append(f"| {preset}: fine-tuning epochs run (of {total}{stop}) | " + " | ".join(cells) + " | |")
        for key, label in (
            ("energy_ratio", "E_SNN / E_CNN (every operation, real positions, fp32)"),
            ("energy_ratio_memory_32KB", "E_SNN / E_CNN memory-inclusive (32 KB SRAM)"),
        ):
            if any(rows.get(d, {}).get(key) is not None for d in DATASETS):
                cells = [f"{rows[d][key]:.3f}" if rows.get(d, {}).get(key) is not None else "–" for d in DATASETS]
                lines.append(f"| {preset}: {label} | " + " | ".join(cells) + " | |")
    return "\n".join(lines)


def reproduce(
    out: str | Path,
    presets: tuple[str, ...] = ("paper", "efficient"),
    datasets: tuple[str, ...] = DATASETS,
    seeds: int = 3,
    overrides: dict[str, Any] | None = None,
    backend: Backend | None = None,
) -> dict:
    """Run every preset × data set × seed (`overrides`: settings for all of them, nested dicts) in OUT, then write
    each group's mean over seeds and OUT/method.json / .md / .png. Returns the method table. Runs that finished
    are kept when others fail: the error names the failed ones and a rerun does the rest."""
    for what, given in (("--presets", presets), ("--datasets", datasets)):
        if not given:
            raise SpiketextError(f"reproduce: {what} is empty; name at least one (or leave the option out)")
        repeated = sorted({x for x in given if given.count(x) > 1})
        if repeated:
            raise SpiketextError(f"reproduce: {what} names {', '.join(repeated)} twice; list each once")
    unknown = [p for p in presets if p not in PRESETS] + [d for d in datasets if d not in BUILTIN_DATASETS]
    if unknown:
        raise SpiketextError(
            f"reproduce: unknown {', '.join(unknown)}; presets: {', '.join(PRESETS)}; data sets: "
            f"{', '.join(BUILTIN_DATASETS)}"
        )
    if seeds < 1:
        raise SpiketextError(f"--seeds {seeds}: at least 1")
    with writer_lock(out):
        return _reproduce(Path(out), presets, datasets, seeds, overrides, backend or Backend("local"))


def _reproduce(
    out: Path,
    presets: tuple[str, ...],
    datasets: tuple[str, ...],
    seeds: int,
    overrides: dict[str, Any] | None,
    backend: Backend,
) -> dict:
    groups, jobs = {}, []
    for preset in presets:
        for dataset in datasets:
            merged = deep_merge(overrides or {}, {"data": {"dataset": dataset}, "seeds": seeds})
            cfg = build_run_config(preset, overrides=merged)  # every configuration validated before any work
            folder = out / f"{preset}_{dataset}"
            keys = []
            if stacks_seeds(cfg):  # the group's seeds as one stacked model: one job, which writes the summary
                jobs.append(Job(f"{preset}_{dataset}", run, (cfg, folder)))
                continue
            for i in range(seeds):
                one = seed_config(cfg, i)
                where = folder / f"seed{one.seed}" if seeds > 1 else folder
                keys.append(f"{preset}_{dataset}" + (f"/seed{one.seed}" if seeds > 1 else ""))
                jobs.append(Job(keys[-1], run_single, (one, where)))
            groups[(preset, dataset)] = (cfg, folder, keys)
    t0 = time.perf_counter()
    failure: SpiketextError | None = None
    try:
        results = run_jobs(jobs, backend, lambda key, _: log.info("reproduce %s done", key))
    except SpiketextError as e:  # some runs failed: summarize the rest, then report
        failure, results = e, {}
    for cfg, folder, keys in groups.values():
        if seeds > 1 and keys and all(k in results for k in keys):
            summarize_seeds(cfg, folder, [results[k] for k in keys])
    table = method_table(out)
    text = method_markdown(table)
    notes = (
        f"{len(presets)} presets ({', '.join(presets)}) × {len(datasets)} data sets ({', '.join(datasets)}) × "
        f"{seeds} seeds; jobs on {backend.describe()}; {time.perf_counter() - t0:.0f} s for this invocation."
    )
    atomic_write_json(out / "method.json", {"table": table, "notes": notes})
    atomic_write_text(out / "method.md", f"{text}\n\n{notes}\n")
    from spiketext.viz import method_figure, save_figure  # matplotlib only where a figure is drawn

    save_figure(method_figure(table, DATASETS), out / "method.png")
    if failure is not None:
        raise failure
    return table
