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
    cmd_models,
    cmd_predict,
    cmd_reproduce,
    cmd_run,
    cmd_sweep,
    cmd_train_cnn,
)
from spiketext.data.fetch import EMBEDDINGS
from spiketext.errors import SpiketextError
from spiketext.settings.config import BUILTIN_DATASETS, DataConfig, choices
from spiketext.settings.verbs import (
    AttackConfig,
    BenchSettings,
    EnergyConfig,
    EvaluateConfig,
    ExportConfig,
    ParallelSettings,
    PredictSettings,
    ReproduceSettings,
    RunSettings,
    SweepSettings,
)


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


def _config_options(p: argparse.ArgumentParser, *classes: type) -> None:
    """Every field of the verb's settings classes (`spiketext.settings.verbs`) as an option of `p`;
    `commands._config` builds each value back."""
    for cls in classes:
        g = p.add_argument_group(cls.__name__.removesuffix("Settings").removesuffix("Config").lower() + " options")
        for f in dataclasses.fields(cls):
            m = f.metadata
            flag = m["flag"] or "--" + f.name.replace("_", "-")
            if flag in p._option_string_actions:  # --strict: one switch for the data and the checkpoints
                continue
            if isinstance(f.default, bool):
                action = "store_false" if f.default else "store_true"
                g.add_argument(flag, dest=f.name, action=action, default=argparse.SUPPRESS, help=m["help"])
                continue
            if m["repeat"]:
                g.add_argument(flag, dest=f.name, action="append", metavar=m["metavar"], default=argparse.SUPPRESS,
                               help=m["help"])  # fmt: skip
                continue
            shown = ",".join(f.default) if isinstance(f.default, tuple) else f.default
            default = f" (default {shown})" if f.default is not None else ""
            # a custom parser (parse_victims, ...) runs in commands._config; argparse keeps its string until then
            kind = m["type"] if m["type"] in (int, str) else str if m["type"] or f.default is None else type(f.default)
            g.add_argument(flag, dest=f.name, type=kind, choices=m["choices"], metavar=m["metavar"],
                           default=argparse.SUPPRESS, help=m["help"] + default)  # fmt: skip
    p.set_defaults(config_classes=classes)


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
    source = _data_source_args()
    p = sub.add_parser("run", parents=[source], help="CNN -> converted SNN -> fine-tuned SNN, evaluated")
    _config_options(p, RunSettings)
    p.add_argument("--out", default=None, metavar="DIR", help="run folder (default runs/<data set>)")
    p.add_argument(
        "--restart",
        metavar="STAGE",
        help="start this stage and the later ones over in a folder whose settings differ (default: refuse): the "
        "TextCNN's cnn, convert, finetune, baselines; the transformer's ann, qann, snn",
    )
    p.set_defaults(func=cmd_run)
    p = sub.add_parser(
        "sweep", parents=[source], help="fine-tune and count energy over a grid of settings (Pareto plot)"
    )
    _config_options(p, RunSettings, SweepSettings, ParallelSettings)
    p.add_argument("--out", default=None, metavar="DIR", help="sweep folder (default runs/sweep_<data set>)")
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser(
        "reproduce", help="data sets × presets × seeds -> the method table (method.md/.json/.png), resumable"
    )
    _config_options(p, ReproduceSettings, ParallelSettings)
    p.add_argument("--data-dir", help="folder with one sub-folder per data set (default $SPIKETEXT_DATA_DIR, ./data)")
    p.add_argument("--cache-dir", help="downloads, vectors (default $SPIKETEXT_CACHE_DIR, ~/.cache/spiketext)")
    p.add_argument("--out", default="runs/reproduce", metavar="DIR", help="default runs/reproduce")
    p.set_defaults(func=cmd_reproduce)
    p = sub.add_parser("train-cnn", parents=[source], help="train the tailored CNN into a run folder")
    _config_options(p, RunSettings)
    p.add_argument("--out", default=None, metavar="DIR", help="run folder (default runs/<data set>)")
    p.set_defaults(func=cmd_train_cnn)
    p = sub.add_parser("convert", help="convert a run's CNN into an SNN and evaluate it")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--normalization", default="none", help="none (the plain copy), model, data_max, data_p999, qcfs")
    p.set_defaults(func=cmd_convert)
    p = sub.add_parser("finetune", help="fine-tune a run's converted SNN with surrogate gradients")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.set_defaults(func=cmd_finetune)

    p = sub.add_parser("bench", help="engine speed and memory against the authors' structure (needs snntorch)")
    _config_options(p, BenchSettings)
    p.add_argument("--json", metavar="FILE", help="write the full result as JSON")
    p.set_defaults(func=cmd_bench)


def _saved_run_commands(sub: Any) -> None:
    """The verbs on a saved run: predict, evaluate, energy, attack, export-nir."""
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
    p = sub.add_parser("predict", help="classify text with a saved or released model")
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="[PATH] TEXT",
        help="a run folder or a checkpoint (NAME.json), then the texts; with --model NAME of a released model "
        "(spiketext models), the texts alone",
    )
    _config_options(p, PredictSettings)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_predict)
    p = sub.add_parser("models", help="the released models: trained SNNs shipped with spiketext, usable offline")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_models)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if getattr(args, "command", None) == "predict" and not any(e.startswith("-") for e in extra):
        args.inputs += extra  # texts after an option (`predict RUN --json "a text"`): argparse leaves them over
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
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
