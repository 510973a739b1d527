"""The `spiketext` command: thin subcommands over `spiketext.api`. Only this module prints."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from spiketext import __version__
from spiketext.config import BUILTIN_DATASETS, DataConfig
from spiketext.errors import SpiketextError


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
    g.add_argument("--encoding", default="utf-8", help="encoding of own files (default utf-8; e.g. cp1252)")
    g.add_argument("--language", choices=("en", "zh"), help="tokenizer for own data (default: detected)")
    g.add_argument("--data-dir", help="folder with one sub-folder per data set (default $SPIKETEXT_DATA_DIR, ./data)")
    g.add_argument(
        "--cache-dir", help="downloads and trained vectors (default $SPIKETEXT_CACHE_DIR, ~/.cache/spiketext)"
    )
    g.add_argument("--split-seed", type=int, default=0, help="seed of the stratified split where one is made")
    g.add_argument("--max-len", type=int, help="fixed length L (default: the data set's, or 95th pct of own data)")
    g.add_argument("--embeddings", help="glove-6b-50d, train-skipgram, or a GloVe/word2vec file (text or binary)")
    g.add_argument("--clip", type=float, default=3.0, help="clip width c of the positive transform (default 3)")
    return p


def _data_config(args: argparse.Namespace) -> DataConfig:
    if args.name and args.dataset and args.name != args.dataset:
        raise SpiketextError(f"two data set names given ({args.name!r}, {args.dataset!r}); give one")
    return DataConfig(
        dataset=args.name or args.dataset,
        train=args.train,
        dev=args.dev,
        test=args.test,
        text_column=args.text_column,
        label_column=args.label_column,
        encoding=args.encoding,
        language=args.language,
        data_dir=args.data_dir,
        cache_dir=args.cache_dir,
        split_seed=args.split_seed,
        max_len=args.max_len,
        embeddings=args.embeddings,
        clip=args.clip,
    )


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING if args.verbose == 0 else logging.INFO if args.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("gensim", "smart_open", "jieba"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    try:
        return args.func(args)
    except SpiketextError as e:
        if args.debug:
            raise
        print(f"spiketext: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spiketext: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
