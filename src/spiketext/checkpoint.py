"""Checkpoints: safetensors for tensors, JSON for everything else. Loading never unpickles anything.

A checkpoint `NAME` is two files, `NAME.safetensors` and `NAME.json`, each written to a temporary file and
renamed into place; the JSON is written last and records the weights file's size, so a reader never pairs a
JSON with a half-written or stale weights file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from spiketext.errors import SpiketextError


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=1, ensure_ascii=False) + "\n")


def save_checkpoint(stem: str | Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Write `stem.safetensors` (tensors) then `stem.json` (meta + the weights file's size)."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    weights = stem.with_name(stem.name + ".safetensors")
    fd, tmp = tempfile.mkstemp(prefix=f".{weights.name}.", suffix=".tmp", dir=stem.parent)
    os.close(fd)
    try:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, tmp)
        os.replace(tmp, weights)
    finally:
        Path(tmp).unlink(missing_ok=True)
    atomic_write_json(stem.with_name(stem.name + ".json"), {**meta, "weights_bytes": weights.stat().st_size})


def checkpoint_exists(stem: str | Path) -> bool:
    stem = Path(stem)
    return stem.with_name(stem.name + ".json").is_file()


def load_checkpoint(stem: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint written by `save_checkpoint` (`stem` with or without an extension)."""
    stem = Path(stem)
    if stem.suffix in (".json", ".safetensors"):
        stem = stem.with_suffix("")
    meta_path = stem.with_name(stem.name + ".json")
    weights = stem.with_name(stem.name + ".safetensors")
    if not meta_path.is_file() or not weights.is_file():
        raise SpiketextError(f"{stem}: no checkpoint here (expected {meta_path.name} and {weights.name})")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SpiketextError(f"{meta_path}: not valid JSON ({e}); the checkpoint is damaged") from e
    if meta.get("weights_bytes") not in (None, weights.stat().st_size):
        raise SpiketextError(f"{weights}: its size does not match {meta_path.name}; the checkpoint is damaged")
    return load_file(weights), meta


def optimizer_tensors(opt: torch.optim.Optimizer, names: dict[torch.nn.Parameter, str]) -> dict[str, torch.Tensor]:
    """An Adam(W) optimizer's per-parameter state as flat named tensors (`opt.<param>.<field>`)."""
    out = {}
    for p, state in opt.state.items():
        for field, value in state.items():
            out[f"opt.{names[p]}.{field}"] = value if torch.is_tensor(value) else torch.tensor(value)
    return out


def load_optimizer_tensors(
    opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], params: dict[str, torch.nn.Parameter]
) -> None:
    for key, value in tensors.items():
        if not key.startswith("opt."):
            continue
        name, field = key[4:].rsplit(".", 1)
        p = params[name]
        # moment estimates live with their parameter; Adam keeps its scalar step count on the CPU
        opt.state[p][field] = value.to(p.device) if value.ndim else value.clone()
