"""The `spiketext` command: its options (generated from the verbs' typed settings where a verb has them) and
`main`; the subcommands themselves, thin layers over `spiketext.api`, are in `spiketext.cli.commands`."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import typing
from collections.abc import Sequence
from typing import Any

from spiketext import __version__
from spiketext.cli.commands import (
    _DATA_OPTIONS,
    _check_json,
    _safe,
    cmd_attack,
    cmd_bench,
    cmd_convert,
    cmd_data_describe,
    cmd_data_fetch,
    cmd_energy,
    cmd_evaluate,
    cmd_export_embeddings,
    cmd_export_nir,
    cmd_fetch_embeddings,
    cmd_finetune,
    cmd_predict,
    cmd_reproduce,
    cmd_run,
    cmd_sweep,
    cmd_train_cnn,
)
from spiketext.data.fetch import EMBEDDINGS
from spiketext.errors import SpiketextError
from spiketext.settings.config import BUILTIN_DATASETS, DataConfig, Precision, choices
from spiketext.settings.presets import PRESETS
from spiketext.settings.verbs import AttackConfig, EnergyConfig, EvaluateConfig, ExportConfig


def _data_source_args() -> argparse.ArgumentParser:
    """Options shared by every command that takes data: a built-in name or your own files."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("data")
    g.add_argument("name", nargs="?", metavar="DATASET", help=f"built-in data set: {', '.join(BUILTIN_DATASETS)}")
    g.add_argument("--dataset", help="same as DATASET")
    hints = typing.get_type_hints(DataConfig)
    for name, (metavar, text) in _DATA_OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        kinds = [a for a in typing.get_args(hints[name]) or (hints[name],) if a is not type(None)]
        if kinds == [bool]:
            g.add_argument(flag, action="store_true", default=None, help=text)
            continue
        literal = typing.get_origin(kinds[0]) is typing.Literal
        kind = str if literal else kinds[0]
        g.add_argument(flag, type=kind, metavar=metavar, choices=choices(kinds[0]) if literal else None, help=text)
    return p


def _config_options(p: argparse.ArgumentParser, cls: type) -> None:
    """Every field of a verb's config (`spiketext.settings.verbs`) as an option of `p`; `_config` builds the value
    back."""
    for f in dataclasses.fields(cls):
        m = f.metadata
        flag = m["flag"] or "--" + f.name.replace("_", "-")
        if flag in p._option_string_actions:  # --strict: one switch for the data and the checkpoints
            continue
        if isinstance(f.default, bool):
            action = "store_false" if f.default else "store_true"
            p.add_argument(flag, dest=f.name, action=action, default=argparse.SUPPRESS, help=m["help"])
            continue
        shown = ",".join(f.default) if isinstance(f.default, tuple) else f.default
        default = f" (default {shown})" if f.default is not None else ""
        # a custom parser (parse_victims, ...) runs in commands._config; argparse keeps its string until then
        kind = m["type"] if m["type"] in (int, str) else str if m["type"] or f.default is None else type(f.default)
        p.add_argument(flag, dest=f.name, type=kind, choices=m["choices"], metavar=m["metavar"],
                       default=argparse.SUPPRESS, help=m["help"] + default)  # fmt: skip
    p.set_defaults(config_class=cls)


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


def _parallel_args() -> argparse.ArgumentParser:
    """Where the jobs of a sweep or a reproduction run (spiketext.runs.parallel)."""
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spiketext", description="Spiking convolutional neural networks for text classification."
    )
    parser.add_argument("--version", action="version", version=f"spiketext {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv: debug logs)")
    sub = parser.add_subparsers(dest="command", required=True)
    _data_commands(sub)
    _run_commands(sub)
    _saved_run_commands(sub)
    return parser


def _data_commands(sub: Any) -> None:
    """spiketext data describe | fetch | fetch-embeddings | export-embeddings."""
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


def _run_commands(sub: Any) -> None:
    """The verbs that train: run, sweep, reproduce, train-cnn, convert, finetune (and bench)."""
    source, runargs = _data_source_args(), _run_args()
    p = sub.add_parser("run", parents=[source, runargs], help="CNN -> converted SNN -> fine-tuned SNN, evaluated")
    p.add_argument(
        "--restart",
        metavar="STAGE",
        help="start this stage and the later ones over in a folder whose settings differ (default: refuse): the "
        "TextCNN's cnn, convert, finetune, baselines; the transformer's ann, qann, snn",
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
    p.add_argument("--normalization", default="none", help="none (the plain copy), model, data_max, data_p999, qcfs")
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


def _saved_run_commands(sub: Any) -> None:
    """The verbs on a saved run: predict, evaluate, energy, attack, export-nir."""
    model_args = argparse.ArgumentParser(add_help=False)
    model_args.add_argument("path", metavar="PATH", help="a run folder or a checkpoint (NAME.json)")
    model_args.add_argument(
        "--model", default="snn_finetuned", help="which checkpoint of a run folder (snn_finetuned, cnn, ...)"
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
    p.add_argument("--strict", action="store_true", help="refuse a checkpoint written before digests existed")
    p.set_defaults(func=cmd_predict)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING if args.verbose == 0 else logging.INFO if args.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("gensim", "smart_open", "jieba"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    if args.command in ("run", "sweep", "train-cnn", "convert", "finetune"):
        from spiketext.core.runtime import tune_cpu_allocator

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
