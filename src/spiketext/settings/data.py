"""The data settings: which data set or files, how they are read and split, the embeddings, skip-gram training
(`DataConfig` and its typed parts). No torch import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from spiketext.errors import SpiketextError

Language = Literal["en", "zh"]  # data.language: the tokenizer (zh: jieba)

ENGLISH_DATASETS = ("mr", "sst2", "sst5", "subj")
CHINESE_DATASETS = ("chnsenti", "waimai")
BUILTIN_DATASETS = ENGLISH_DATASETS + CHINESE_DATASETS

DEFAULT_ENGLISH_EMBEDDINGS = "glove-6b-50d"
# Skip-gram vectors trained with gensim on the training split only: the offline stand-in for sgns.merge.bigram.
TRAINED_EMBEDDINGS = "train-skipgram"

DATA_DIR_ENV = "SPIKETEXT_DATA_DIR"
CACHE_DIR_ENV = "SPIKETEXT_CACHE_DIR"


def resolve_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """The cache folder: `cache_dir`, else $SPIKETEXT_CACHE_DIR, else ~/.cache/spiketext."""
    return Path(cache_dir or os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache" / "spiketext")


MAX_TOKENS = 100_000  # a longer "sentence" is a mistake, and its ids alone would fill memory
MAX_REPEATS = 1_000  # seeds, draws, repetitions: more is a typo, and would run for days


def _check(condition: bool, setting: str, message: str) -> None:
    if not condition:
        raise SpiketextError(f"setting {setting}: {message}")


@dataclass(frozen=True)
class SkipgramSettings:
    """How vectors are trained from the training text where none are pretrained (gensim skip-gram, design.md §1.1)."""

    dim: int = 300
    epochs: int = 5
    window: int = 5
    min_count: int = 1

    def __post_init__(self) -> None:
        for name in ("dim", "epochs", "window", "min_count"):
            value = getattr(self, name)
            _check(value >= 1, f"data.skipgram_{name}", f"{value} must be >= 1")


DEFAULT_SKIPGRAM = SkipgramSettings()


@dataclass(frozen=True)
class ReadOptions:
    """How a file of labelled examples is read (`spiketext.data.readers`): DataConfig's fields of these names."""

    encoding: str = "utf-8"
    text_column: str | None = None  # None: the first of the usual names (text, sentence, review, ...)
    label_column: str | None = None
    strict: bool = False
    multiline: bool = False


DEFAULT_READ = ReadOptions()


@dataclass(frozen=True)
class SplitSettings:
    """How missing dev/test splits are carved from train: seeded and stratified (`spiketext.data.splits`)."""

    seed: int = 0
    test_fraction: float = 0.1
    dev_fraction: float = 0.1

    def __post_init__(self) -> None:
        _check(self.seed >= 0, "data.split_seed", f"{self.seed} must be >= 0")


DEFAULT_SPLIT = SplitSettings()


@dataclass
class DataConfig:
    """Where the text comes from and how it becomes positive embeddings (docs/design.md §1.1, §1.5).

    Exactly one of `dataset` (a built-in name) or `train` (a file of your own) is set.
    """

    dataset: str | None = None
    train: str | None = None
    dev: str | None = None
    test: str | None = None
    text_column: str | None = None
    label_column: str | None = None
    encoding: str = "utf-8"
    language: Language | None = None  # None: the built-in's language, or detected from own text
    data_dir: str | None = None  # None: $SPIKETEXT_DATA_DIR, else ./data
    cache_dir: str | None = None  # None: $SPIKETEXT_CACHE_DIR, else ~/.cache/spiketext
    split_seed: int = 0
    test_fraction: float = 0.1
    dev_fraction: float = 0.1
    max_len: int | None = None  # None: the data set's fixed L (docs/design.md §1.1), or the 95th percentile of own data
    embeddings: str | None = None  # None: glove-6b-50d (English) / train-skipgram (Chinese); or a vector file path
    clip: float = 3.0
    # δ: units with |z| < δ·clip become z = 0 (e⁺ = ½, s = 0): a signed input code sends nothing for them, and the
    # CNN trains on the same values (spiketext.data.embeddings.PositiveTransform); 0: none (the paper)
    dead_zone: float = 0.0
    skipgram_dim: int = 300
    skipgram_epochs: int = 5
    skipgram_window: int = 5
    skipgram_min_count: int = 1
    strict: bool = False  # a row with an empty text: an error naming its line (else skipped, counted, recorded)
    multiline: bool = False  # a quoted CSV text may span lines (else an error: an unclosed quote swallows lines)

    def __post_init__(self) -> None:
        _check(
            (self.dataset is None) != (self.train is None),
            "data.dataset / data.train",
            "give exactly one: a built-in data set name or --train FILE",
        )
        if self.dataset is not None:
            self.dataset = self.dataset.lower()
            _check(
                self.dataset in BUILTIN_DATASETS,
                "data.dataset",
                f"unknown data set {self.dataset!r}; choose one of {', '.join(BUILTIN_DATASETS)} "
                "or pass your own with --train FILE",
            )
            _check(self.dev is None and self.test is None, "data.dev / data.test", "only with --train (own data)")
        for name in ("test_fraction", "dev_fraction"):
            value = getattr(self, name)
            _check(0.0 < value < 0.5, f"data.{name}", f"{value} must lie in (0, 0.5)")
        if self.max_len is not None:
            _check(
                1 <= self.max_len <= MAX_TOKENS, "data.max_len", f"{self.max_len} must lie in 1..{MAX_TOKENS:,} tokens"
            )
        _check(self.clip > 0, "data.clip", f"{self.clip} must be > 0")
        _check(0 <= self.dead_zone < 1, "data.dead_zone", f"{self.dead_zone} must lie in [0, 1) (a fraction of clip)")
        self.skipgram, self.split  # noqa: B018 (they validate themselves)

    @property
    def read_options(self) -> ReadOptions:
        return ReadOptions(self.encoding, self.text_column, self.label_column, self.strict, self.multiline)

    @property
    def split(self) -> SplitSettings:
        return SplitSettings(self.split_seed, self.test_fraction, self.dev_fraction)

    @property
    def skipgram(self) -> SkipgramSettings:
        return SkipgramSettings(self.skipgram_dim, self.skipgram_epochs, self.skipgram_window, self.skipgram_min_count)

    def resolved_language(self) -> str | None:
        if self.language is not None:
            return self.language
        if self.dataset is not None:
            return "zh" if self.dataset in CHINESE_DATASETS else "en"
        return None

    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir or os.environ.get(DATA_DIR_ENV) or "data")

    def resolved_cache_dir(self) -> Path:
        return resolve_cache_dir(self.cache_dir)
