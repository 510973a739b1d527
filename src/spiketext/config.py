"""Typed, self-validating settings (litgpt-style dataclasses); load and save as YAML or JSON.

Every setting lives in a dataclass that checks itself in `__post_init__`. Unknown or mistyped keys are errors
that name the key, where it came from, and the closest valid name. This module imports no torch, so the CLI
can parse and validate a configuration before paying for the heavy imports.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from spiketext.errors import SpiketextError

ENGLISH_DATASETS = ("mr", "sst2", "sst5", "subj")
CHINESE_DATASETS = ("chnsenti", "waimai")
BUILTIN_DATASETS = ENGLISH_DATASETS + CHINESE_DATASETS

DEFAULT_ENGLISH_EMBEDDINGS = "glove-6b-50d"
# Skip-gram vectors trained with gensim on the training split only: the offline stand-in for sgns.merge.bigram.
TRAINED_EMBEDDINGS = "train-skipgram"

DATA_DIR_ENV = "SPIKETEXT_DATA_DIR"
CACHE_DIR_ENV = "SPIKETEXT_CACHE_DIR"


def _check(condition: bool, setting: str, message: str) -> None:
    if not condition:
        raise SpiketextError(f"setting {setting}: {message}")


@dataclass
class DataConfig:
    """Where the text comes from and how it becomes positive embeddings (DESIGN.md §1.1, §1.5).

    Exactly one of `dataset` (a built-in name) or `train` (a file of your own) is set.
    """

    dataset: str | None = None
    train: str | None = None
    dev: str | None = None
    test: str | None = None
    text_column: str | None = None
    label_column: str | None = None
    encoding: str = "utf-8"
    language: str | None = None  # "en" or "zh"; None: the built-in's language, or detected from own text
    data_dir: str | None = None  # None: $SPIKETEXT_DATA_DIR, else ./data
    cache_dir: str | None = None  # None: $SPIKETEXT_CACHE_DIR, else ~/.cache/spiketext
    split_seed: int = 0
    test_fraction: float = 0.1
    dev_fraction: float = 0.1
    max_len: int | None = None  # None: the data set's fixed L (DESIGN.md §1.1), or the 95th percentile of own data
    embeddings: str | None = None  # None: glove-6b-50d (English) / train-skipgram (Chinese); or a vector file path
    clip: float = 3.0
    skipgram_dim: int = 300
    skipgram_epochs: int = 5
    skipgram_window: int = 5
    skipgram_min_count: int = 1

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
            _check(
                self.dev is None and self.test is None,
                "data.dev / data.test",
                "only with --train (own data)",
            )
        if self.language is not None:
            _check(self.language in ("en", "zh"), "data.language", f"{self.language!r} is not 'en' or 'zh'")
        for name in ("test_fraction", "dev_fraction"):
            value = getattr(self, name)
            _check(0.0 < value < 0.5, f"data.{name}", f"{value} must lie in (0, 0.5)")
        if self.max_len is not None:
            _check(self.max_len >= 1, "data.max_len", f"{self.max_len} must be a positive number of tokens")
        _check(self.clip > 0, "data.clip", f"{self.clip} must be > 0")
        for name in ("skipgram_dim", "skipgram_epochs", "skipgram_window", "skipgram_min_count"):
            _check(getattr(self, name) >= 1, f"data.{name}", f"{getattr(self, name)} must be >= 1")

    def resolved_language(self) -> str | None:
        if self.language is not None:
            return self.language
        if self.dataset is not None:
            return "zh" if self.dataset in CHINESE_DATASETS else "en"
        return None

    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir or os.environ.get(DATA_DIR_ENV) or "data")

    def resolved_cache_dir(self) -> Path:
        default = Path.home() / ".cache" / "spiketext"
        return Path(self.cache_dir or os.environ.get(CACHE_DIR_ENV) or default)

    def resolved_embeddings(self, language: str) -> str:
        if self.embeddings is not None:
            return self.embeddings
        return TRAINED_EMBEDDINGS if language == "zh" else DEFAULT_ENGLISH_EMBEDDINGS


# --- generic (de)serialisation ------------------------------------------------------------------------------

C = TypeVar("C")


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check `value` against a type hint (str, int, float, bool, X | None, nested dataclass, list[X])."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where)
            except SpiketextError as e:
                errors.append(str(e))
        raise SpiketextError(errors[0] if errors else f"setting {where}: invalid value {value!r}")
    if dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        if not isinstance(value, dict):
            raise SpiketextError(f"setting {where}: expected a mapping, got {value!r}")
        return from_dict(hint, value, where)
    if origin in (list, tuple):
        (item,) = typing.get_args(hint)[:1]
        if not isinstance(value, (list, tuple)):
            raise SpiketextError(f"setting {where}: expected a list, got {value!r}")
        items = [_coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
        return items if origin is list else tuple(items)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise SpiketextError(f"setting {where}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise SpiketextError(f"setting {where}: expected an integer, got {value!r}")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise SpiketextError(f"setting {where}: expected a number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise SpiketextError(f"setting {where}: expected a string, got {value!r}")
    return value


def from_dict(cls: type[C], data: dict[str, Any], where: str = "config") -> C:
    """Build dataclass `cls` from a mapping; unknown keys are an error that suggests the closest name."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(names)}"
            raise SpiketextError(f"setting {where}.{key}: unknown key{hint}")
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}")
    return cls(**kwargs)


def to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def load_mapping(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON file into a mapping, with an error that names the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SpiketextError(f"{path}: cannot read config file ({e.strerror})") from e
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise SpiketextError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {e}") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SpiketextError(f"{path}: a config file must hold a mapping of settings at the top level")
    return data


def parse_override(text: str) -> tuple[list[str], Any]:
    """`"data.clip=2.5"` -> (["data", "clip"], 2.5); values are parsed as YAML scalars."""
    if "=" not in text:
        raise SpiketextError(f"override {text!r}: write it as key=value, e.g. data.clip=2.5")
    key, raw = text.split("=", 1)
    return key.strip().split("."), yaml.safe_load(raw) if raw.strip() else None


def set_nested(data: dict[str, Any], keys: list[str], value: Any) -> None:
    for k in keys[:-1]:
        data = data.setdefault(k, {})
        if not isinstance(data, dict):
            raise SpiketextError(f"override {'.'.join(keys)}: {k} is not a group of settings")
    data[keys[-1]] = value
