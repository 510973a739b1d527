"""Typed settings from plain mappings: dataclass fields checked against their type hints, YAML/JSON files, and
`key=value` overrides. Generic (nothing here knows spiketext's settings); `spiketext.settings.config` builds on it.

A value is checked against its hint (str, int, float, bool, Literal choices, X | None, nested dataclasses,
list[X]); an unknown key is an error that suggests the closest valid name; floats must be finite.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import json
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from spiketext.errors import SpiketextError


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in update.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


C = TypeVar("C")


def choices(literal: Any) -> tuple[str, ...]:
    """The values of a Literal option list, e.g. choices(Reset) == ("subtract", "zero")."""
    return tuple(typing.get_args(literal))


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check `value` against a type hint (str, int, float, bool, X | None, a Literal, nested dataclass, list[X])."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        return _literal(value, typing.get_args(hint), where)
    if origin in (typing.Union, types.UnionType):
        return _union(value, typing.get_args(hint), where)
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
    return _scalar(value, hint, where)


def _literal(value: Any, allowed: tuple, where: str) -> Any:
    if value in allowed:
        return value
    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    hint_text = f"; did you mean {close[0]!r}?" if close else ""
    raise SpiketextError(f"setting {where}: {value!r} is not one of {', '.join(map(str, allowed))}{hint_text}")


def _union(value: Any, args: tuple, where: str) -> Any:
    if value is None and type(None) in args:
        return None
    literals = [a for a in args if typing.get_origin(a) is Literal]
    if literals and all(typing.get_origin(a) is Literal or a is type(None) for a in args):
        return _literal(value, tuple(v for a in literals for v in typing.get_args(a)), where)
    errors = []
    for arg in args:
        if arg is type(None):
            continue
        try:
            return _coerce(value, arg, where)
        except SpiketextError as e:
            errors.append(str(e))
    raise SpiketextError(errors[0] if errors else f"setting {where}: invalid value {value!r}")


def _scalar(value: Any, hint: Any, where: str) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise SpiketextError(f"setting {where}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise SpiketextError(f"setting {where}: expected an integer, got {value!r}")
    if hint is float:
        number = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):  # YAML 1.1 reads "1e-5" (no dot) as a string
            with contextlib.suppress(ValueError):
                number = float(value)
        if number is None:
            raise SpiketextError(f"setting {where}: expected a number, got {value!r}")
        if not math.isfinite(number):
            raise SpiketextError(f"setting {where}: {value!r} is not a finite number; give a finite value")
        return number
    if hint is str:
        if isinstance(value, str):
            return value
        raise SpiketextError(f"setting {where}: expected a string, got {value!r}")
    return value


def from_dict(cls: type[C], data: dict[str, Any], where: str = "config") -> C:
    """Build dataclass `cls` from a mapping; unknown keys are an error that suggests the closest name."""
    if not isinstance(data, dict):
        raise SpiketextError(f"setting {where}: expected a mapping of settings, got {type(data).__name__}")
    migrate = getattr(cls, "migrate", None)
    if migrate is not None:  # settings of earlier versions, rewritten once at the boundary
        data = migrate(data, where)
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
    if path.exists() and not path.is_file():
        raise SpiketextError(f"{path}: not a regular file; give a YAML or JSON file of settings")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise SpiketextError(f"{path}: not a UTF-8 text file; give a YAML or JSON file of settings") from e
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
    if not key.strip():
        raise SpiketextError(f"override {text!r}: the key before '=' is empty; e.g. data.clip=2.5")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SpiketextError(
            f"override {text!r}: the value is not a plain YAML value ({problem}); write a number, a word, "
            "true/false or a list like [3,4,5]"
        ) from e
    return key.strip().split("."), value


def set_nested(data: dict[str, Any], keys: list[str], value: Any) -> None:
    for k in keys[:-1]:
        data = data.setdefault(k, {})
        if not isinstance(data, dict):
            raise SpiketextError(f"override {'.'.join(keys)}: {k} is not a group of settings")
    data[keys[-1]] = value
