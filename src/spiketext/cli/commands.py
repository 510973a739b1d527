"""The `spiketext` subcommands: each a thin layer over `spiketext.api` that builds its typed settings from the
parsed options (`spiketext.cli.parser` makes them) and prints what came back. Only this module and `cli` print."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path
from typing import Any

from spiketext.errors import SpiketextError
from spiketext.runs.results import RunResult
from spiketext.settings.config import DataConfig, RunConfig
from spiketext.settings.verbs import (
    BenchSettings,
    ParallelSettings,
    PredictSettings,
    ReproduceSettings,
    RunSettings,
    SweepSettings,
)


def _safe(text: str) -> str:
    """User text echoed to a terminal: control characters (ANSI escapes among them) shown escaped, not run."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


# data.* settings with a command-line option of the same name: (metavar, help); the option's type and choices come
# from DataConfig's own hints, and `commands._data_overrides` passes every one of them on
_DATA_OPTIONS: dict[str, tuple[str | None, str]] = {
    "train": ("FILE", "own data: CSV/TSV with header, JSONL, or 'label text' lines"),
    "dev": ("FILE", "own dev file (default: 10%% of train, stratified)"),
    "test": ("FILE", "own test file (default: 10%% of train, stratified)"),
    "text_column": (None, "name of the text column (CSV/TSV/JSONL); found by common names if unset"),
    "label_column": (None, "name of the label column; found by common names if unset"),
    "encoding": (None, "encoding of own files (default utf-8; e.g. cp1252)"),
    "language": (None, "tokenizer for own data (default: detected)"),
    "data_dir": (None, "folder with one sub-folder per data set (default $SPIKETEXT_DATA_DIR, ./data)"),
    "cache_dir": (None, "downloads, vectors (default $SPIKETEXT_CACHE_DIR, ~/.cache/spiketext)"),
    "split_seed": (None, "seed of the stratified split where one is made"),
    "max_len": (None, "fixed length L (default: the data set's, or 95th pct of own data)"),
    "embeddings": (None, "glove-6b-50d, train-skipgram, or a GloVe/word2vec file (text or binary)"),
    "clip": (None, "clip width c of the positive transform (default 3)"),
    "strict": (
        None,
        "an empty text or a rare class is an error, not skipped; on a saved run, a checkpoint written before "
        "digests existed is refused too",
    ),
}


def _data_overrides(args: argparse.Namespace) -> dict:
    """The data settings given on the command line (unset ones are left to the config file or the defaults)."""
    if args.name and args.dataset and args.name != args.dataset:
        raise SpiketextError(f"two data set names given ({args.name!r}, {args.dataset!r}); give one")
    given = {"dataset": args.name or args.dataset, **{k: getattr(args, k) for k in _DATA_OPTIONS}}
    return {k: v for k, v in given.items() if v is not None}


def _data_config(args: argparse.Namespace) -> DataConfig:
    return DataConfig(**_data_overrides(args))


def _given_data(args: argparse.Namespace) -> DataConfig | None:
    """The data a verb on a saved run was given, or None: the run's own."""
    return _data_config(args) if (args.name or args.dataset or args.train) else None


def _config(args: argparse.Namespace, cls: type | None = None) -> Any:
    """A verb's settings value (`cls`, default the verb's first) from every option `_config_options` made: the
    given ones parsed as their field says; the rest keep their defaults."""
    cls, values = cls or args.config_classes[0], {}
    for f in dataclasses.fields(cls):
        if getattr(args, f.name, None) is not None:  # unset: the field's default
            parse = f.metadata["type"]
            value = getattr(args, f.name)
            if f.metadata["repeat"]:
                value = tuple(value)
            elif parse not in (None, int, str) and isinstance(value, str):
                value = parse(value)
            values[f.name] = value
    return cls(**values)


def cmd_data_describe(args: argparse.Namespace) -> int:
    from spiketext import api
    from spiketext.data.describe import describe_markdown

    # the skipped rows and rare classes are lines of the report itself: not warned about a second time
    quiet = [logging.getLogger(name) for name in ("spiketext.data.readers", "spiketext.data.corpus")]
    levels = [q.level for q in quiet]
    for q in quiet:
        q.setLevel(logging.ERROR)
    try:
        d = api.describe_data(_data_config(args))
    finally:
        for q, level in zip(quiet, levels, strict=True):
            q.setLevel(level)
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
    from spiketext.core.bench.engine import markdown, run_benchmark

    b = _config(args, BenchSettings)
    result = run_benchmark(b.device, b.precision, b.reps, b.warmup)
    print(markdown(result))
    if args.json:
        from spiketext.io import atomic_write_json

        atomic_write_json(Path(args.json), result)
        print(f"json: {args.json}")
    return 0


def _run_config(args: argparse.Namespace) -> RunConfig:
    return _config(args, RunSettings).resolve(_data_overrides(args))


def _out(args: argparse.Namespace, cfg: RunConfig) -> str:
    if args.out:
        return args.out
    name = cfg.data.dataset or Path(cfg.data.train or "data").stem
    return str(Path("runs") / name)


def _print_results(results: RunResult, out: str) -> None:
    from spiketext.runs.families import row_label

    for key, r in results.stages.items():
        std = f" ± {100 * r.test_std:.2f}" if r.test_std else ""
        dev = f"dev {100 * r.dev_acc:6.2f}" if r.dev_acc is not None else " " * 10
        print(f"{row_label(key):58s} {dev}   test {100 * r.test_acc:6.2f}{std}")
    for w in results.warnings:
        print(f"{w.kind.upper().replace('_', ' ')}: {w.text}")
    print(f"run folder: {out}")


def cmd_run(args: argparse.Namespace) -> int:
    from spiketext import api

    cfg = _run_config(args)
    out = _out(args, cfg)
    _print_results(api.run(cfg, out, restart=args.restart), out)
    return 0


def _backend(args: argparse.Namespace):
    from spiketext.runs.parallel import choose_backend

    p = _config(args, ParallelSettings)
    b = choose_backend(p.workers, p.ray_address, p.cpus_per_task, p.gpus_per_task, p.in_process)
    logging.getLogger(__name__).info("jobs run on %s", b.describe())
    return b


def cmd_sweep(args: argparse.Namespace) -> int:
    from spiketext import api

    cfg, s = _run_config(args), _config(args, SweepSettings)
    grid = api.parse_grid(list(s.grid))
    out = args.out or str(Path("runs") / f"sweep_{cfg.data.dataset or 'data'}")
    summary = api.sweep(cfg, out, grid, s.cnn, _backend(args)) if grid else api.summarize_sweep(out)
    print(api.sweep_markdown(summary))
    print(f"sweep: {out}/sweep.json, sweep.md, sweep.png")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from spiketext import api

    r = _config(args, ReproduceSettings)
    data = {k: v for k, v in (("data_dir", args.data_dir), ("cache_dir", args.cache_dir)) if v}
    overrides = RunSettings(set=r.set).overrides(data)
    table = api.reproduce(args.out, r.presets, r.datasets, r.seeds, overrides, _backend(args))
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
            f"round trip (nir.read -> {c['simulator']}) on {c['sentences']:,} {c['split']} sentences, "
            f"T = {c['num_steps']}: "
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
    from spiketext.energy.files import energy_markdown
    from spiketext.io import atomic_write_json

    path = Path(args.path)
    out = args.out or (path if path.is_dir() else None)
    r = api.energy(args.path, _config(args), _given_data(args), out)
    if r.get("family") == "transformer":
        from spiketext.energy.transformer import transformer_energy_markdown

        print(transformer_energy_markdown(r))
    else:
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
    report = api.attack(args.path, _config(args), _given_data(args), out)
    r = report.to_json()
    print(attack_markdown(r))
    print(f"written: {', '.join(r['files'].values())}")
    if args.json:
        atomic_write_json(Path(args.json), {k: v for k, v in r.items() if k != "files"})
        print(f"json: {args.json}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from spiketext import api

    s = _config(args, PredictSettings)
    path, texts = _predict_inputs(args.inputs, s.model)
    if s.raster:
        from spiketext.io import check_writable

        check_writable(Path(s.raster).parent, "raster folder")  # before any work
    model = api.load_model(path, s.model, strict=s.strict)
    results = api.classify(model, texts, seed=s.seed, num_steps=s.num_steps)
    if s.raster:
        api.raster(model, texts[0], s.raster, seed=s.seed, num_steps=s.num_steps)
    if args.json:
        print(json.dumps(results, indent=2))  # ASCII-escaped: no control character reaches the terminal raw
        return 0
    print(f"model: {model.path} ({model.kind})", file=sys.stderr)
    for r in results:
        kind = next(k for k in ("spike_counts", "membrane", "logits") if k in r)
        scores = r[kind] if kind == "spike_counts" else {k: round(v, 3) for k, v in r[kind].items()}
        kind = {"spike_counts": "spikes"}.get(kind, kind)
        label = f"{r['label']} ({r['description']})" if r.get("description") else r["label"]
        print(f"{_safe(label)}\t{kind} {_safe(json.dumps(scores, ensure_ascii=False))}\t{_safe(r['text'])}")
        if r["tie"]:
            why = "no word of it is known to the model" if r["known_tokens"] == 0 else "equal top scores"
            print(f"spiketext: warning: a tie ({why}); the class shown is the first of the tied ones", file=sys.stderr)
    if s.raster:
        print(f"raster: {s.raster}")
    return 0


def _predict_inputs(inputs: list[str], model: str) -> tuple[str, list[str]]:
    """(the model's path, the texts): `--model NAME` of a released model takes every input as a text unless the
    first is an existing path; otherwise the first input is the run folder or checkpoint."""
    from spiketext.runs.released import is_released

    if is_released(model) and not Path(inputs[0]).exists():
        return model, inputs
    if len(inputs) < 2:
        raise SpiketextError("predict: give a run folder (or checkpoint) and at least one text, or --model NAME of a "
                             "released model (spiketext models) and the texts")  # fmt: skip
    return inputs[0], inputs[1:]


def cmd_models(args: argparse.Namespace) -> int:
    from spiketext.runs.released import index

    entries = index()
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    if not entries:
        print("no released models in this installation")
        return 0
    print("| name | data set | test acc (%) | its CNN / ANN (%) | T | input | E_SNN / E_CNN or ANN | NIR | MB |")
    print("|---|---|---:|---:|---:|---|---:|---|---:|")
    for name, e in entries.items():
        ratio = f"{e['energy_ratio_all_ops']:.3f}" if e.get("energy_ratio_all_ops") is not None else "–"
        reference = e.get("run_cnn_test_acc", e.get("run_ann_test_acc"))  # a TextCNN's CNN, a transformer's ANN
        print(f"| {name} | {e['dataset']} | {100 * e['test_acc']:.2f} | {100 * reference:.2f} | "
              f"{e['num_steps']} | {e['input_code']} | {ratio} | {'exact' if e.get('nir') == 'exact' else 'no'} | "
              f"{e['bytes'] / 1e6:.1f} |")  # fmt: skip
    print('cards: spiketext/released/<name>/card.md; use: spiketext predict --model NAME "TEXT"')
    return 0
