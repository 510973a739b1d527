"""Checkpoints: safetensors for tensors, JSON for everything else. Loading never unpickles anything.

A checkpoint `NAME` is two files, `NAME.safetensors` and `NAME.json`, each written atomically; the JSON is written
last and records the weights file's size and sha256, so a reader never pairs a JSON with a half-written, stale or
corrupted weights file: any mismatch, a damaged header or an unreadable JSON is one error naming the file. The
JSON's own content (vocabulary, labels, transform, settings, the weights' digest) is covered by `meta_sha256`, a
sha256 of its canonical form, so an edited vocabulary or a removed weights digest is caught too.

Every JSON written now says `"checkpoint": "spiketext-checkpoint/2"`, and a file that says so must carry both
digests: removing them (or setting them to null) is damage, not age. Only files without that field (written before
the digests existed) load with a warning naming what is unchecked, and `strict=True` refuses those too.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from spiketext.errors import SpiketextError
from spiketext.io import atomic_write, atomic_write_json, read_json_object, sha256_file

log = logging.getLogger(__name__)
META_DIGEST = "meta_sha256"
CHECKPOINT_FORMAT = "spiketext-checkpoint/2"  # since this format, both digests are part of every checkpoint


def meta_digest(meta: dict[str, Any]) -> str:
    """sha256 of the JSON's canonical form (sorted keys, no spaces), the digest field itself left out."""
    body = {k: v for k, v in meta.items() if k != META_DIGEST}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _paths(stem: str | Path) -> tuple[Path, Path]:
    stem = Path(stem)
    if stem.suffix in (".json", ".safetensors"):
        stem = stem.with_suffix("")
    return stem.with_name(stem.name + ".json"), stem.with_name(stem.name + ".safetensors")


def save_checkpoint(stem: str | Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Write `stem.safetensors` (tensors) then `stem.json` (meta + the weights file's size and sha256)."""
    meta_path, weights = _paths(stem)
    cpu = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    atomic_write(weights, lambda tmp: save_file(cpu, str(tmp)))
    full = {
        **meta,
        "checkpoint": CHECKPOINT_FORMAT,
        "weights_bytes": weights.stat().st_size,
        "weights_sha256": sha256_file(weights),
    }
    atomic_write_json(meta_path, {**full, META_DIGEST: meta_digest(full)})


def checkpoint_exists(stem: str | Path) -> bool:
    return _paths(stem)[0].is_file()


def load_checkpoint(stem: str | Path, strict: bool = False) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint written by `save_checkpoint` (`stem` with or without an extension), verified. A file from
    before the digests loads with a warning, or with `strict` not at all."""
    meta_path, weights = _paths(stem)
    fix = "the checkpoint is damaged: copy it again, or rerun the stage that wrote it"
    if not meta_path.is_file() or not weights.is_file():
        stem = meta_path.with_suffix("")
        raise SpiketextError(f"{stem}: no checkpoint here (expected {meta_path.name} and {weights.name})")
    meta = read_json_object(meta_path, fix)  # a NaN or ±inf anywhere in it is refused there, naming the field
    assert meta is not None
    recorded = meta.get(META_DIGEST)
    if recorded is not None and recorded != meta_digest(meta):
        raise SpiketextError(f"{meta_path}: its content was changed after it was written (meta_sha256 differs); {fix}")
    missing = [key for key in (META_DIGEST, "weights_sha256", "weights_bytes") if meta.get(key) is None]
    if missing and meta.get("checkpoint") is not None:
        raise SpiketextError(
            f"{meta_path}: says {meta.get('checkpoint')!r} but has no {', '.join(missing)}: its digests were removed "
            f"(a checkpoint of this format always has them); {fix}"
        )
    unchecked = [
        what
        for what, key in (("its JSON (vocabulary, labels, settings)", META_DIGEST), ("its weights", "weights_sha256"))
        if meta.get(key) is None
    ]
    if unchecked:
        what = " and ".join(unchecked)
        if strict:
            raise SpiketextError(
                f"{meta_path}: written without digests (an older spiketext), so {what} cannot be checked; refused "
                "in strict mode: rerun the stage that wrote it, or load it without --strict"
            )
        log.warning("%s: written without digests (an older spiketext?): %s not checked", meta_path, what)
    size = weights.stat().st_size
    if meta.get("weights_bytes") not in (None, size):
        raise SpiketextError(f"{weights}: {size} bytes where {meta_path.name} recorded {meta['weights_bytes']}; {fix}")
    if meta.get("weights_sha256") not in (None, sha256_file(weights)):
        raise SpiketextError(f"{weights}: its content does not match the sha256 in {meta_path.name}; {fix}")
    try:
        tensors = load_file(weights)
    except Exception as e:  # noqa: BLE001 - safetensors raises its own error types for every kind of damage
        raise SpiketextError(f"{weights}: not a readable safetensors file ({str(e).splitlines()[0]}); {fix}") from e
    return tensors, meta


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
