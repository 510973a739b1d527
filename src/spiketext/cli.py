"""The `spiketext` command: thin subcommands over `spiketext.api`. Only this module prints."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spiketext import __version__
from spiketext.config import (
    BUILTIN_DATASETS,
    CHECKPOINTS,
    NORMALIZED_CHECKPOINTS,
    PRESETS,
    STAGES,
    DataConfig,
    Precision,
    RunConfig,
    build_run_config,
    choices,
    parse_override,
    set_nested,
)
from spiketext.data.fetch import EMBEDDINGS
from spiketext.errors import SpiketextError
from spiketext.verbs import AttackConfig, EnergyConfig, EvaluateConfig, ExportConfig


def _safe(text: str) -> str:
    """User text echoed to a terminal: control characters (ANSI escapes among them) shown escaped, not run."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def _data_source_args() -> argparse.ArgumentParser:
    """Options shared by every command that takes data: a built-in name or your own files."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("data")
    g.add_argument("name", nargs="?", metavar="DATASET", help=f"built-in data set: {', '.join(BUILTIN_DATASETS)}")
    g.add_argument("--dataset", help="same as DATASET")
    g.add_argument("--train", metavar="FILE", help="own data: CSV/TSV with header, JSONL, or 'label text' lines")
    g.add_argument("--dev", metavar="FILE", help="own dev file (default: 10%% of train, stratified)")
    g.add_argument("--test", metavar="FILE", help="own test file (default: 10%% of train, stratified)")
    g.add_argument("--text-column", help="name of the text column (CSV/TSV/JSONL); found by common names if unset")
    g.add_argument("--label-column", help="name of the label column; found by common names if unset")
    g.add_argument("--encoding", help="encoding of own files (default utf-8; e.g. cp1252)")
    g.add_argument("--language", choices=("en", "zh"), help="tokenizer for own data (default: detected)")
    g.add_argument("--data-dir", help="folder with one sub-folder per data set (default $SPIKETEXT_DATA_DIR, ./data)")
    g.add_argument("--cache-dir", help="downloads, vectors (default $SPIKETEXT_CACHE_DIR, ~/.cache/spiketext)")
    g.add_argument("--split-seed", type=int, help="seed of the stratified split where one is made")
    g.add_argument("--max-len", type=int, help="fixed length L (default: the data set's, or 95th pct of own data)")
    g.add_argument("--embeddings", help="glove-6b-50d, train-skipgram, or a GloVe/word2vec file (text or binary)")
    g.add_argument("--clip", type=float, help="clip width c of the positive transform (default 3)")
    g.add_argument("--strict", action="store_true", default=None, help="an empty text is an error, not skipped")
    return p


def _data_overrides(args: argparse.Namespace) -> dict:
    """The data settings given on the command line (unset ones are left to the config file or the defaults)."""
    if args.name and args.dataset and args.name != args.dataset:
        raise SpiketextError(f"two data set names given ({args.name!r}, {args.dataset!r}); give one")
    given = {"dataset": args.name or args.dataset, **{k: getattr(args, k) for k in _DATA_OPTIONS}}
    return {k: v for k, v in given.items() if v is not None}


# data.* settings that have a command-line option of the same name
_DATA_OPTIONS = ("train", "dev", "test", "text_column", "label_column", "encoding", "language", "data_dir",
                 "cache_dir", "split_seed", "max_len", "embeddings", "clip", "strict")  # fmt: skip


def _data_config(args: argparse.Namespace) -> DataConfig:
    return DataConfig(**_data_overrides(args))


def _given_data(args: argparse.Namespace) -> DataConfig | None:
    """The data a verb on a saved run was given, or None: the run's own."""
    return _data_config(args) if (args.name or args.dataset or args.train) else None


def _config_options(p: argparse.ArgumentParser, cls: type) -> None:
    """Every field of a verb's config (`spiketext.verbs`) as an option of `p`; `_config` builds the value back."""
    for f in dataclasses.fields(cls):
        m = f.metadata
        flag = m["flag"] or "--" + f.name.replace("_", "-")
        if isinstance(f.default, bool):
            action = "store_false" if f.default else "store_true"
            p.add_argument(flag, dest=f.name, action=action, default=argparse.SUPPRESS, help=m["help"])
            continue
        shown = ",".join(f.default) if isinstance(f.default, tuple) else f.default
        default = f" (default {shown})" if f.default is not None else ""
        kind = m["type"] if m["type"] in (int, str) else str if m["type"] else type(f.default)
        p.add_argument(flag, dest=f.name, type=kind, choices=m["choices"], metavar=m["metavar"],
                       default=argparse.SUPPRESS, help=m["help"] + default)  # fmt: skip
    p.set_defaults(config_class=cls)


def _config(args: argparse.Namespace) -> Any:
    """The verb's config from every option `_config_options` made (the given ones; the rest keep their defaults)."""
    cls, values = args.config_class, {}
    for f in dataclasses.fields(cls):
        if hasattr(args, f.name):
            parse = f.metadata["type"]
            value = getattr(args, f.name)
            values[f.name] = parse(value) if parse not in (None, int, str) and isinstance(value, str) else value
    return cls(**values)


def cmd_data_describe(args: argparse.Namespace) -> int:
    from spiketext import api
    from spiketext.data.describe import describe_markdown

    d = api.describe_data(_data_config(args))
    print(json.dumps(d, indent=2, ensure_ascii=False) if args.json else describe_markdown(d))
    return 0


def cmd_data_fetch(args: argparse.Namespace) -> int:
    from spiketext import api

    cfg = _data_config(args)
    if cfg.dataset is None:
        raise SpiketextError("data fetch: name a built-in data set")
    for name, path in api.fetch_dataset(cfg.dataset, cfg).items():
        print(f"{name}\t{path}")
    return 0


def cmd_fetch_embeddings(args: argparse.Namespace) -> int:
    from spiketext import api

    for name in args.names:
        print(f"{name}\t{api.fetch_named_embeddings(name, args.cache_dir)}")
    return 0


def cmd_export_embeddings(args: argparse.Namespace) -> int:
    from spiketext import api

    cfgs = [DataConfig(dataset=name, data_dir=args.data_dir, cache_dir=args.cache_dir) for name in args.names]
    r = api.export_embeddings(cfgs, args.out, args.embeddings)
    print(f"{r['words']:,} words of {', '.join(args.names)} from {r['name']} -> {r['path']}")
    return 0


def _check_json(args: argparse.Namespace) -> None:
    """--json FILE (where a command writes one) is checked before any work starts, not after it."""
    if isinstance(getattr(args, "json", None), str):
        from spiketext.io import check_output_file

        check_output_file(args.json)


def cmd_bench(args: argparse.Namespace) -> int:
    from spiketext.bench.engine import markdown, run_benchmark

    if not 1 <= args.reps <= 1000 or not 0 <= args.warmup <= 1000:
        raise SpiketextError(f"--reps {args.reps} / --warmup {args.warmup}: give reps in 1..1000, warmup in 0..1000")
    result = run_benchmark(args.device, args.precision, args.reps, args.warmup)
    print(markdown(result))
    if args.json:
        from spiketext.io import atomic_write_json

        atomic_write_json(Path(args.json), result)
        print(f"json: {args.json}")
    return 0


def _run_args() -> argparse.ArgumentParser:
    """Options that build a RunConfig: preset, config file, overrides."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("run configuration")
    g.add_argument("--preset", default="paper", choices=sorted(PRESETS), help="starting values (default: paper)")
    g.add_argument("--config", metavar="FILE", help="YAML or JSON file of settings (overrides the preset)")
    g.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override any setting, e.g. --set snn.num_steps=16 --set finetune.lr=3e-4 (repeatable)",
    )
    g.add_argument("--seed", type=int, help="run seed (default 0)")
    g.add_argument("--seeds", type=int, help="repeat with N seeds and report mean ± std")
    g.add_argument("--baselines", action="store_true", default=None, help="add the baselines and ablations")
    g.add_argument("--device", help="auto, cpu, cuda, cuda:N")
    g.add_argument("--precision", choices=choices(Precision), help="bf16 where it pays (auto), or force one")
    g.add_argument("--out", default=None, metavar="DIR", help="run folder (default runs/<data set>)")
    return p


def _with_sets(overrides: dict, items: list[str]) -> dict:
    """`overrides` with every --set KEY=VALUE applied (nested keys, parsed values)."""
    for item in items:
        keys, value = parse_override(item)
        set_nested(overrides, keys, value)
    return overrides


def _run_config(args: argparse.Namespace) -> RunConfig:
    overrides = _with_sets({"data": _data_overrides(args)}, args.set)
    for name in ("seed", "seeds", "baselines", "device", "precision"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    return build_run_config(args.preset, args.config, overrides)


def _out(args: argparse.Namespace, cfg: RunConfig) -> str:
    if args.out:
        return args.out
    name = cfg.data.dataset or Path(cfg.data.train or "data").stem
    return str(Path("runs") / name)


def _print_results(results: dict, out: str) -> None:
    from spiketext.runs import RESULT_ROWS

    for key, label in RESULT_ROWS.items():
        r = results.get(key)
        if r:
            std = f" ± {100 * r['test_std']:.2f}" if r.get("test_std") else ""
            print(f"{label:58s} dev {100 * r['dev_acc']:6.2f}   test {100 * r['test_acc']:6.2f}{std}")
    for note in results.get("notes", []):
        if note.startswith(("SKIPPED", "DEVIATION", "RARE CLASS")):
            print(note)
    print(f"run folder: {out}")


def cmd_run(args: argparse.Namespace) -> int:
    from spiketext import api

    cfg = _run_config(args)
    out = _out(args, cfg)
    _print_results(api.run(cfg, out, restart=args.restart), out)
    return 0


def _backend(args: argparse.Namespace):
    from spiketext.parallel import choose_backend

    b = choose_backend(args.workers, args.ray_address, args.cpus_per_task, args.gpus_per_task, args.in_process)
    logging.getLogger(__name__).info("jobs run on %s", b.describe())
    return b


def _parallel_args() -> argparse.ArgumentParser:
    """Where the jobs of a sweep or a reproduction run (spiketext.parallel)."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("parallel (Ray)")
    g.add_argument("--workers", type=int, help="jobs at a time on a local Ray instance (default: the cores)")
    g.add_argument("--ray-address", metavar="ADDRESS", help="an existing Ray cluster (e.g. auto, or host:6379)")
    g.add_argument("--cpus-per-task", type=float, default=1.0, help="CPU cores per job (torch threads), default 1")
    g.add_argument("--gpus-per-task", type=float, default=0.0, help="GPUs per job (e.g. 0.25: four jobs share one)")
    g.add_argument(
        "--in-process", action="store_true", help="one job after another in this process (the default without Ray)"
    )
    return p


def cmd_sweep(args: argparse.Namespace) -> int:
    from spiketext import api

    cfg = _run_config(args)
    grid = api.parse_grid(args.grid)
    out = args.out or str(Path("runs") / f"sweep_{cfg.data.dataset or 'data'}")
    summary = api.sweep(cfg, out, grid, args.cnn, _backend(args)) if grid else api.summarize_sweep(out)
    print(api.sweep_markdown(summary))
    print(f"sweep: {out}/sweep.json, sweep.md, sweep.png")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from spiketext import api

    data = {k: v for k, v in (("data_dir", args.data_dir), ("cache_dir", args.cache_dir)) if v}
    overrides = _with_sets({"data": data}, args.set)
    presets = tuple(p.strip() for p in args.presets.split(",") if p.strip())
    datasets = tuple(d.strip() for d in args.datasets.split(",") if d.strip())
    table = api.reproduce(args.out, presets, datasets, args.seeds, overrides, _backend(args))
    print(api.method_markdown(table))
    print(f"reproduce: {args.out}/method.md, method.json, method.png; run folders {args.out}/<preset>_<dataset>/")
    return 0


def cmd_train_cnn(args: argparse.Namespace) -> int:
    from spiketext import api

    cfg = _run_config(args)
    out = _out(args, cfg)
    r = api.train_cnn(cfg, out)
    print(f"tailored CNN: dev {100 * r['dev_acc']:.2f}  test {100 * r['test_acc']:.2f}  (epoch {r['epoch']})")
    print(f"run folder: {out}")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from spiketext import api

    r = api.convert(args.run_dir, args.normalization)
    print(f"converted SNN ({args.normalization}): dev {100 * r['dev_acc']:.2f}  test {100 * r['test_acc']:.2f}")
    return 0


def cmd_finetune(args: argparse.Namespace) -> int:
    from spiketext import api

    r = api.finetune(args.run_dir)
    print(f"fine-tuned SNN: dev {100 * r['dev_acc']:.2f}  test {100 * r['test_acc']:.2f}  (epoch {r['epoch']})")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from spiketext import api

    r = api.evaluate(args.path, _config(args), _given_data(args))
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        std = f" ± {100 * r['std']:.2f} over {len(r['accs'])} draws" if r["kind"] == "snn" else ""
        print(f"{r['model']} ({r['kind']}): {r['split']} accuracy {100 * r['acc']:.2f}{std} on {r['size']} examples")
    return 0


def cmd_export_nir(args: argparse.Namespace) -> int:
    from spiketext import api
    from spiketext.io import atomic_write_json

    r = api.export_nir(args.path, args.out, _config(args), _given_data(args))
    kind = "exact" if r["exact"] else "lossy: " + "; ".join(r["changes"])
    print(f"wrote {r['path']} ({r['bytes']:,} bytes, {r['nodes']} nodes, {r['edges']} edges; {kind})")
    c = r.get("check")
    if c:
        differ = ", ".join(f"{k} {v:,}" for k, v in c["spike_mismatches"].items())
        print(
            f"round trip (nir.read -> nirtorch) on {c['sentences']:,} {c['split']} sentences, T = {c['num_steps']}: "
            f"{c['spikes_compared']:,} spikes compared, differing: {differ}"
        )
        print(
            f"accuracy: spiketext {100 * c['acc_spiketext']:.2f}, NIR graph {100 * c['acc_nir']:.2f} "
            f"(change {100 * c['acc_change']:+.2f} points; predictions agree on {100 * c['predictions_agree']:.1f}%)"
        )
    if args.json:
        atomic_write_json(Path(args.json), r)
        print(f"json: {args.json}")
    if c and r["exact"] and not c["equal"]:
        print("spiketext: error: the exported graph's spikes differ from spiketext's; please report", file=sys.stderr)
        return 1
    return 0


def cmd_energy(args: argparse.Namespace) -> int:
    from spiketext import api
    from spiketext.energy_files import energy_markdown
    from spiketext.io import atomic_write_json

    path = Path(args.path)
    out = args.out or (path if path.is_dir() else None)
    r = api.energy(args.path, _config(args), _given_data(args), out)
    print(energy_markdown(r))
    if r.get("files"):
        print(f"written: {', '.join(r['files'].values())}")
    if args.json:
        atomic_write_json(Path(args.json), r)
        print(f"json: {args.json}")
    return 0


def cmd_attack(args: argparse.Namespace) -> int:
    from spiketext import api
    from spiketext.attacks import attack_markdown
    from spiketext.io import atomic_write_json

    out = args.out or str(Path(args.path) / "attacks")
    r = api.attack(args.path, _config(args), _given_data(args), out)
    print(attack_markdown(r))
    print(f"written: {', '.join(r['files'].values())}")
    if args.json:
        atomic_write_json(Path(args.json), {k: v for k, v in r.items() if k != "files"})
        print(f"json: {args.json}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from spiketext import api

    if args.raster:
        from spiketext.io import check_writable

        check_writable(Path(args.raster).parent, "raster folder")  # before any work
    model = api.load_model(args.path, args.model)
    results = api.classify(model, args.texts, seed=args.seed, num_steps=args.num_steps)
    if args.raster:
        api.raster(model, args.texts[0], args.raster, seed=args.seed, num_steps=args.num_steps)
    if args.json:
        print(json.dumps(results, indent=2))  # ASCII-escaped: no control character reaches the terminal raw
        return 0
    print(f"model: {model.path} ({model.kind})", file=sys.stderr)
    for r in results:
        scores = r.get("spike_counts") or {k: round(v, 3) for k, v in r["logits"].items()}
        kind = "spikes" if "spike_counts" in r else "logits"
        label = f"{r['label']} ({r['description']})" if r.get("description") else r["label"]
        print(f"{_safe(label)}\t{kind} {_safe(json.dumps(scores, ensure_ascii=False))}\t{_safe(r['text'])}")
        if r["tie"]:
            why = "no word of it is known to the model" if r["known_tokens"] == 0 else "equal top scores"
            print(f"spiketext: warning: a tie ({why}); the class shown is the first of the tied ones", file=sys.stderr)
    if args.raster:
        print(f"raster: {args.raster}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spiketext", description="Spiking convolutional neural networks for text classification."
    )
    parser.add_argument("--version", action="version", version=f"spiketext {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv: debug logs)")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="inspect and fetch data sets")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    source = _data_source_args()
    p = data_sub.add_parser("describe", parents=[source], help="sizes, classes, lengths, L and OOV of a data set")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_data_describe)
    p = data_sub.add_parser("fetch", parents=[source], help="download a built-in data set into the cache")
    p.set_defaults(func=cmd_data_fetch)

    p = data_sub.add_parser(
        "fetch-embeddings",
        help="download named word vectors (glove-6b-300d, ...) into the cache, resumably, checking their checksum",
    )
    p.add_argument("names", nargs="+", metavar="NAME", choices=sorted(EMBEDDINGS))
    p.add_argument("--cache-dir")
    p.set_defaults(func=cmd_fetch_embeddings)

    p = data_sub.add_parser(
        "export-embeddings", help="save the vectors of some data sets' words (with the full table's μ, σ) to a folder"
    )
    p.add_argument("names", nargs="+", metavar="DATASET", choices=BUILTIN_DATASETS)
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--embeddings", help="source table (default: each data set's default)")
    p.add_argument("--data-dir")
    p.add_argument("--cache-dir")
    p.set_defaults(func=cmd_export_embeddings)

    runargs = _run_args()
    p = sub.add_parser("run", parents=[source, runargs], help="CNN -> converted SNN -> fine-tuned SNN, evaluated")
    p.add_argument(
        "--restart",
        choices=STAGES,
        help="start this stage and the later ones over in a folder whose settings differ (default: refuse)",
    )
    p.set_defaults(func=cmd_run)
    p = sub.add_parser(
        "sweep",
        parents=[source, runargs, _parallel_args()],
        help="fine-tune and count energy over a grid of settings (Pareto plot)",
    )
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a setting and its values, e.g. --grid snn.num_steps=4,8,16,50 --grid snn.threshold=0.5,1,2 "
        "(repeatable; the product is swept); none: only re-summarize the points already in --out",
    )
    p.add_argument("--cnn", metavar="RUN_DIR", help="take the tailored CNN from this run folder (same CNN settings)")
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser(
        "reproduce",
        parents=[_parallel_args()],
        help="data sets × presets × seeds -> the method table (method.md/.json/.png), resumable",
    )
    p.add_argument("--datasets", default=",".join(BUILTIN_DATASETS), help="comma-separated (default: all six)")
    p.add_argument("--presets", default="paper,efficient", help="comma-separated (default: paper,efficient)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per data set and preset (default 3)")
    p.add_argument(
        "--set", metavar="KEY=VALUE", action="append", default=[], help="a setting for every run (repeatable)"
    )
    p.add_argument("--data-dir", help="folder with one sub-folder per data set (default $SPIKETEXT_DATA_DIR, ./data)")
    p.add_argument("--cache-dir", help="downloads, vectors (default $SPIKETEXT_CACHE_DIR, ~/.cache/spiketext)")
    p.add_argument("--out", default="runs/reproduce", metavar="DIR", help="default runs/reproduce")
    p.set_defaults(func=cmd_reproduce)
    p = sub.add_parser("train-cnn", parents=[source, runargs], help="train the tailored CNN into a run folder")
    p.set_defaults(func=cmd_train_cnn)
    p = sub.add_parser("convert", help="convert a run's CNN into an SNN and evaluate it")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--normalization", default="none", choices=tuple(NORMALIZED_CHECKPOINTS))
    p.set_defaults(func=cmd_convert)
    p = sub.add_parser("finetune", help="fine-tune a run's converted SNN with surrogate gradients")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.set_defaults(func=cmd_finetune)

    p = sub.add_parser("bench", help="engine speed and memory against the authors' structure (needs snntorch)")
    p.add_argument("--device", default="auto")
    p.add_argument("--precision", default="auto", choices=choices(Precision))
    p.add_argument("--reps", type=int, default=5, help="timed repetitions per implementation (median)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--json", metavar="FILE", help="write the full result as JSON")
    p.set_defaults(func=cmd_bench)

    model_args = argparse.ArgumentParser(add_help=False)
    model_args.add_argument("path", metavar="PATH", help="a run folder or a checkpoint (NAME.json)")
    model_args.add_argument(
        "--model", default="snn_finetuned", choices=CHECKPOINTS, help="which checkpoint of a run folder"
    )
    model_args.add_argument("--seed", type=int, default=0, help="seed of the Bernoulli input (SNN)")
    model_args.add_argument("--num-steps", type=int, help="T at inference (default: the checkpoint's)")
    model_args.add_argument("--json", action="store_true", help="print JSON")
    run_path = argparse.ArgumentParser(add_help=False)
    run_path.add_argument("path", metavar="PATH", help="a run folder or a checkpoint (NAME.json)")
    p = sub.add_parser("evaluate", parents=[run_path, _data_source_args()], help="accuracy of a saved model")
    _config_options(p, EvaluateConfig)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_evaluate, name=None)
    p = sub.add_parser(
        "energy",
        parents=[run_path, _data_source_args()],
        help="operation counts and energy of a run's SNN against its CNN, per layer",
    )
    _config_options(p, EnergyConfig)
    p.add_argument(
        "--out",
        metavar="DIR",
        help="where the report goes (default: the run folder: energy.* for the run's own settings, "
        "energy_<what differs>.* otherwise)",
    )
    p.add_argument("--json", metavar="FILE", help="also write the report as JSON to FILE")
    p.set_defaults(func=cmd_energy, name=None)
    attack_path = argparse.ArgumentParser(add_help=False)
    attack_path.add_argument("path", metavar="RUN_DIR", help="a run folder with the CNN and the fine-tuned SNN")
    p = sub.add_parser(
        "attack", parents=[attack_path, _data_source_args()], help="adversarial attacks on a run's CNN and SNN"
    )
    _config_options(p, AttackConfig)
    p.add_argument("--out", metavar="DIR", help="where attack_NAME.json/.md/.csv/.png go (default RUN_DIR/attacks)")
    p.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    p.set_defaults(func=cmd_attack, name=None)
    nir_paths = argparse.ArgumentParser(add_help=False)
    nir_paths.add_argument("path", metavar="RUN_OR_CHECKPOINT", help="a run folder or an SNN checkpoint (NAME.json)")
    nir_paths.add_argument("out", metavar="OUT.nir", help="the NIR file to write (HDF5, read with nir.read)")
    p = sub.add_parser(
        "export-nir",
        parents=[nir_paths, _data_source_args()],
        help="the SNN as a NIR graph, read back and run with nirtorch against spiketext's own spikes",
    )
    _config_options(p, ExportConfig)
    p.add_argument("--json", metavar="FILE", help="also write the report as JSON to FILE")
    p.set_defaults(func=cmd_export_nir, name=None)
    p = sub.add_parser("predict", parents=[model_args], help="classify text with a saved model")
    p.add_argument("texts", nargs="+", metavar="TEXT")
    p.add_argument("--raster", metavar="FILE.png", help="save a spike raster of the first text (SNN)")
    p.set_defaults(func=cmd_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING if args.verbose == 0 else logging.INFO if args.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("gensim", "smart_open", "jieba"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    if args.command in ("run", "sweep", "train-cnn", "convert", "finetune"):
        from spiketext.runtime import tune_cpu_allocator

        tune_cpu_allocator()  # the process is ours: keep freed memory in glibc's heap (see its docstring)
    try:
        _check_json(args)
        return args.func(args)
    except (SpiketextError, OSError, MemoryError) as e:
        if args.debug:
            raise
        if isinstance(e, OSError):  # the environment: a full disk, a permission, a folder that vanished
            e = SpiketextError(f"{e.filename or 'a file'}: {e.strerror or e}; check the path and try again")
        elif isinstance(e, MemoryError):
            e = SpiketextError("out of memory; lower the batch size or T (snn.num_steps)")
        print(f"spiketext: error: {_safe(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spiketext: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
