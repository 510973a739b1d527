"""Trained models as self-contained checkpoints, and classification of raw text.

A model checkpoint (safetensors + JSON) holds the weights, the positive embedding table of its vocabulary, and in
JSON: the model kind and architecture, T, θ, β, reset, surrogate, the encoder, the vocabulary, the transform
constants (μ, σ, c), the tokenizer language, L and the label names. `load_bundle` rebuilds everything from those
two files; raw text goes through the same tokenizer and OOV rule as training. A word outside the vocabulary gets
its pretrained vector when the embedding source is available here (the GloVe package or the original file);
otherwise, and for words without a vector, the OOV vector.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from spiketext.checkpoint import load_checkpoint, save_checkpoint
from spiketext.config import TRAINED_EMBEDDINGS
from spiketext.data.embeddings import PositiveTransform, WordVectors, check_dimension, load_vectors
from spiketext.data.tokenize import get_tokenizer
from spiketext.data.vocab import PAD_ID, UNK_ID, Vocabulary
from spiketext.errors import SpiketextError
from spiketext.models.spiking import SpikingTextCNN
from spiketext.models.textcnn import StandardTextCNN, TailoredTextCNN

log = logging.getLogger(__name__)

KINDS = ("tailored_cnn", "standard_cnn", "snn")


@dataclass
class TextEncoder:
    """Raw text -> [B, D, L] inputs: tokenizer, vocabulary, embedding table [V, D], fixed length L."""

    language: str
    vocab: Vocabulary
    table: torch.Tensor  # [V, D] float32
    max_len: int
    transform: PositiveTransform | None  # None: raw vectors (standard TextCNN)
    embeddings: str
    vectors: WordVectors | None = field(default=None, repr=False)

    def token_ids(self, texts: list[str]) -> tuple[np.ndarray, torch.Tensor]:
        """texts -> (ids [B, L], table [V', D]); out-of-vocabulary words with a pretrained vector get extra rows."""
        tokenize = get_tokenizer(self.language)
        return self.ids_of_tokens([tokenize(text) for text in texts])

    def ids_of_tokens(self, tokens: list[list[str]]) -> tuple[np.ndarray, torch.Tensor]:
        """Already tokenized sentences -> (ids [B, L], table [V', D]), as `token_ids`."""
        ids = np.full((len(tokens), self.max_len), PAD_ID, dtype=np.int64)
        extra: dict[str, int] = {}
        for n, words in enumerate(tokens):
            for i, tok in enumerate(words[: self.max_len]):
                idx = self.vocab.stoi.get(tok)
                if idx is None and self.vectors is not None and tok in self.vectors.index:
                    idx = extra.setdefault(tok, len(self.vocab) + len(extra))
                ids[n, i] = UNK_ID if idx is None else idx
        table = self.table
        if extra:
            raw = np.asarray(self.vectors.vectors[[self.vectors.index[w] for w in extra]])  # type: ignore[union-attr]
            rows = self.transform(raw) if self.transform is not None else raw.astype(np.float32)
            table = torch.cat([table, torch.from_numpy(rows).to(table)])
        return ids, table

    def encode_tokens(self, tokens: list[list[str]]) -> torch.Tensor:
        """Tokenized sentences -> x [B, D, L]."""
        ids, table = self.ids_of_tokens(tokens)
        return nn.functional.embedding(torch.from_numpy(ids).to(table.device), table).transpose(1, 2)

    def encode(self, texts: list[str]) -> torch.Tensor:
        """texts -> x [B, D, L]."""
        ids, table = self.token_ids(texts)
        return nn.functional.embedding(torch.from_numpy(ids).to(table.device), table).transpose(1, 2)


@dataclass
class ModelBundle:
    kind: str
    model: nn.Module
    encoder: TextEncoder
    labels: list[str]
    label_descriptions: list[str | None]
    meta: dict[str, Any]

    @property
    def num_steps(self) -> int | None:
        return self.meta.get("snn", {}).get("num_steps") if self.kind == "snn" else None


def model_meta(
    kind: str, arch: dict[str, Any], snn: dict[str, Any] | None, data: dict[str, Any], extra: dict[str, Any]
) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}")
    return {"format": "spiketext-model/1", "kind": kind, "arch": arch, "snn": snn, "data": data, **extra}


def build_model(kind: str, arch: dict[str, Any], snn: dict[str, Any] | None) -> nn.Module:
    """A fresh model of `kind` from its JSON description."""
    common = {k: arch[k] for k in ("dim", "num_classes", "num_filters")}
    common["kernel_sizes"] = tuple(arch["kernel_sizes"])
    if kind == "tailored_cnn":
        return TailoredTextCNN(
            **common,
            neurons_per_class=arch["neurons_per_class"],
            dropout=arch["dropout"],
            zero_mean_filters=arch["zero_mean_filters"],
        )
    if kind == "standard_cnn":
        return StandardTextCNN(**common, dropout=arch["dropout"])
    assert snn is not None
    return SpikingTextCNN(
        **common,
        neurons_per_class=arch["neurons_per_class"],
        beta=snn["beta"],
        threshold=snn["threshold"],
        reset=snn["reset"],
        surrogate=snn["surrogate"],
        slope=snn["slope"],
        input_scale=snn.get("input_scale", 1.0),
        encoder=snn.get("encoder", "bernoulli"),
    )


def save_bundle(stem: Path, model: nn.Module, table: torch.Tensor | np.ndarray, meta: dict[str, Any]) -> None:
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors["embeddings"] = torch.as_tensor(table)
    save_checkpoint(stem, tensors, meta)


def load_bundle(path: str | Path, cache_dir: Path | None = None, open_vocabulary: bool = True) -> ModelBundle:
    """Rebuild a model and its text encoder from a checkpoint (`NAME`, `NAME.json` or `NAME.safetensors`)."""
    tensors, meta = load_checkpoint(path)
    if meta.get("format") != "spiketext-model/1":
        raise SpiketextError(f"{path}: not a spiketext model checkpoint (no 'format: spiketext-model/1')")
    kind, arch, data = meta["kind"], meta["arch"], meta["data"]
    model = build_model(kind, arch, meta.get("snn"))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    model.eval()
    table = tensors["embeddings"].float()
    check_dimension(arch["dim"], table.shape[1], f"model {path}", "its embedding table")
    transform = PositiveTransform(**data["transform"]) if data.get("transform") else None
    vectors = None
    if open_vocabulary and data["embeddings"] != TRAINED_EMBEDDINGS and data["embeddings"] != "random":
        try:
            vectors = load_vectors(data["embeddings"], cache_dir or Path.home() / ".cache" / "spiketext")
            check_dimension(arch["dim"], vectors.dim, f"model {path}", f"embeddings {data['embeddings']}")
        except SpiketextError as e:
            if "dimension mismatch" in str(e):
                raise
            log.warning("%s; words outside the model's vocabulary will use the OOV vector", e)
    encoder = TextEncoder(
        language=data["language"],
        vocab=Vocabulary(data["vocab"]),
        table=table,
        max_len=data["max_len"],
        transform=transform,
        embeddings=data["embeddings"],
        vectors=vectors,
    )
    return ModelBundle(kind, model, encoder, data["labels"], data.get("label_descriptions", []), meta)


@torch.no_grad()
def classify(
    bundle: ModelBundle, texts: list[str], seed: int = 0, num_steps: int | None = None, batch_size: int = 256
) -> list[dict[str, Any]]:
    """Classify raw strings (batched). For an SNN: the spike count of every class over T (one seeded draw)."""
    from spiketext.train import generator

    for i, t in enumerate(texts):
        if not isinstance(t, str) or not t.strip():
            raise SpiketextError(f"text {i + 1} is empty; give some words to classify")
    gen = generator(seed)
    results = []
    for start in range(0, len(texts), batch_size):
        chunk = texts[start : start + batch_size]
        x = bundle.encoder.encode(chunk)
        if bundle.kind == "snn":
            T = num_steps or bundle.num_steps
            scores = bundle.model.class_scores(bundle.model(bundle.model.encode(x, T, gen))).sum(0)
        else:
            scores = bundle.model(x)
        for text, s in zip(chunk, scores, strict=True):
            c = int(s.argmax())
            entry: dict[str, Any] = {"text": text, "label": bundle.labels[c], "class_id": c}
            if bundle.label_descriptions and bundle.label_descriptions[c]:
                entry["description"] = bundle.label_descriptions[c]
            if bundle.kind == "snn":
                entry["spike_counts"] = {lab: int(v) for lab, v in zip(bundle.labels, s.tolist(), strict=True)}
            else:
                entry["logits"] = {lab: float(v) for lab, v in zip(bundle.labels, s.tolist(), strict=True)}
            results.append(entry)
    return results
