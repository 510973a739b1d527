"""Trained models as self-contained checkpoints, and classification of raw text.

A model checkpoint (safetensors + JSON) holds the weights, the positive embedding table of its vocabulary, and in
JSON: the model kind and architecture, T, θ, β, reset, surrogate, the input code, the vocabulary, the transform
constants (μ, σ, c), the tokenizer language, L and the label names. `load_bundle` validates the two files against
each other (every shape the architecture implies, the vocabulary against the table, the labels against the
output layer) before it builds anything, then rebuilds the model and its `TextFeaturizer` (raw text -> e⁺).

A checkpoint is self-contained: paths inside it are never opened on trust. A word outside the vocabulary gets
its pretrained vector only when the vectors are the GloVe package, a file whose sha256 equals the one the
checkpoint recorded, or the vectors its run trained (kept in RUN/vectors/, content digest recorded); otherwise,
and for words without a vector, the OOV vector.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from spiketext.core.checkpoint import load_checkpoint, save_checkpoint
from spiketext.core.codes import Draw
from spiketext.core.models.registry import FORMAT, MODELS, Architecture, build_model, snn_from_json
from spiketext.core.runtime import generator
from spiketext.data.embeddings import PositiveTransform, WordVectors, open_kept_vectors
from spiketext.data.load import embeddings_digest
from spiketext.data.tokenize import get_tokenizer
from spiketext.data.vector_files import load_vectors
from spiketext.data.vocab import PAD, PAD_ID, UNK, UNK_ID, Vocabulary
from spiketext.errors import SpiketextError
from spiketext.settings.config import DEFAULT_ENGLISH_EMBEDDINGS, Language, choices

log = logging.getLogger(__name__)


@dataclass
class TextFeaturizer:
    """Raw text -> e⁺ inputs [B, D, L]: tokenizer, vocabulary, embedding table [V, D], fixed length L."""

    language: str
    vocab: Vocabulary
    table: torch.Tensor  # [V, D] float32
    max_len: int
    transform: PositiveTransform | None  # None: raw vectors (standard TextCNN)
    vectors_name: str
    vectors_given: WordVectors | None = field(default=None, repr=False)
    # opens the vectors the first time a word outside the vocabulary needs them (400,000 GloVe words take a
    # second to index: a sentence of known words never pays it)
    open_vectors: Callable[[], WordVectors | None] | None = field(default=None, repr=False)

    @property
    def vectors(self) -> WordVectors | None:
        if self.vectors_given is None and self.open_vectors is not None:
            self.vectors_given, self.open_vectors = self.open_vectors(), None
        return self.vectors_given

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        tokenize = get_tokenizer(self.language)
        return [tokenize(text) for text in texts]

    def ids_of_tokens(self, tokens: list[list[str]]) -> tuple[np.ndarray, torch.Tensor]:
        """Tokenized sentences -> (ids [B, L], table [V', D]); words outside the vocabulary with a pretrained
        vector get extra rows."""
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
        return self.encode_tokens(self.tokenize(texts))


@dataclass
class ModelBundle:
    kind: str
    model: nn.Module
    featurizer: TextFeaturizer
    labels: list[str]
    label_descriptions: list[str | None]
    meta: dict[str, Any]
    path: str = ""

    @property
    def num_steps(self) -> int | None:
        return self.model.snn.num_steps if self.kind == "snn" else None


def save_bundle(stem: Path, model: nn.Module, table: torch.Tensor | np.ndarray, meta: dict[str, Any]) -> None:
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors["embeddings"] = torch.as_tensor(table)  # the checkpoint's name for the e⁺ table [V, D]
    save_checkpoint(stem, tensors, meta)


LEVELS_KEY = "embeddings_levels"  # a released model's e⁺ table as uint8 levels j: e⁺ = j / data.table_levels


def input_table(tensors: dict[str, torch.Tensor], data: dict[str, Any], where: str) -> torch.Tensor | None:
    """The checkpoint's e⁺ table [V, D] in fp32: stored as floats ("embeddings"), or, in a released model, as uint8
    levels (`LEVELS_KEY`; e⁺ = j / N, N = data.table_levels: the deterministic input code's own quantization, so
    the model reads exactly what it read before the re-save)."""
    if LEVELS_KEY not in tensors:
        table = tensors.get("embeddings")
        return None if table is None else table.float()
    n = data.get("table_levels")
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 255 or tensors[LEVELS_KEY].dtype != torch.uint8:
        raise SpiketextError(f"{where}: data.table_levels = {n!r} for a uint8 table of levels; checkpoint damaged")
    return tensors[LEVELS_KEY].float() / n


def expected_shapes(kind: str, arch: Architecture) -> dict[str, tuple[int, ...]]:
    """Every weight the model of `kind` has, with its shape, from the architecture alone (nothing allocated)."""
    F, D, ks = arch.num_filters, arch.dim, arch.kernel_sizes
    shapes = {f"convs.{i}.weight": (F, D, k) for i, k in enumerate(ks)}
    if kind == "standard_cnn":
        shapes.update({f"convs.{i}.bias": (F,) for i in range(len(ks))})
        shapes.update({"fc.weight": (arch.num_classes, len(ks) * F), "fc.bias": (arch.num_classes,)})
    else:
        shapes["fc.weight"] = (arch.num_outputs, len(ks) * F)
    if kind == "tailored_cnn" and arch.activation == "qcfs":
        shapes["qcfs_lambda"] = ()  # the QCFS clipping level λ, trained with the CNN
    return shapes


def _check_bundle(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> tuple:
    """Validate a checkpoint's JSON against its tensors; returns (kind, arch, snn, data, the e⁺ table in fp32)."""
    where = f"{path}.json" if path.suffix != ".json" else str(path)
    if meta.get("format") != FORMAT:
        raise SpiketextError(f"{where}: not a spiketext model checkpoint (no 'format: {FORMAT}')")
    kind = meta.get("kind")
    if kind not in MODELS:
        raise SpiketextError(f"{where}: kind {kind!r} is unknown; choose one of {', '.join(MODELS.names())}")
    arch = Architecture.from_json(meta.get("arch"), where)
    snn = snn_from_json(meta.get("snn"), where) if kind == "snn" else None
    data = meta.get("data")
    if not isinstance(data, dict):
        raise SpiketextError(f"{where}: the 'data' mapping is missing; the checkpoint is damaged")
    vocab = data.get("vocab")
    if not isinstance(vocab, list) or vocab[:2] != [PAD, UNK] or not all(isinstance(w, str) for w in vocab):
        raise SpiketextError(f"{where}: data.vocab is missing or not a vocabulary list; the checkpoint is damaged")
    labels = data.get("labels")
    if not isinstance(labels, list) or len(labels) != arch.num_classes or not all(isinstance(x, str) for x in labels):
        n = len(labels) if isinstance(labels, list) else "no"
        raise SpiketextError(
            f"{where}: {n} labels for a model with {arch.num_classes} classes; the checkpoint is damaged"
        )
    max_len = data.get("max_len")
    if not isinstance(max_len, int) or isinstance(max_len, bool) or not max(arch.kernel_sizes) <= max_len <= 1 << 16:
        raise SpiketextError(f"{where}: data.max_len = {max_len!r} does not fit the kernel sizes; checkpoint damaged")
    if data.get("language") not in choices(Language):
        raise SpiketextError(f"{where}: data.language = {data.get('language')!r} is not en or zh; checkpoint damaged")
    transform = data.get("transform")
    if transform is not None:
        ok = isinstance(transform, dict) and all(
            isinstance(transform.get(k), (int, float)) and math.isfinite(transform[k]) for k in ("mean", "std", "clip")
        )
        if not ok or transform["std"] <= 0 or transform["clip"] <= 0:
            raise SpiketextError(f"{where}: data.transform is not (mean, std > 0, clip > 0); checkpoint damaged")
    problems = []
    table = input_table(tensors, data, where)
    if table is None or tuple(table.shape) != (len(vocab), arch.dim):
        got = "none" if table is None else list(table.shape)
        problems.append(f"embedding table {got}, expected [{len(vocab)}, {arch.dim}] (vocabulary × dim)")
    weights = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
    for name, shape in expected_shapes(kind, arch).items():
        if name not in weights:
            problems.append(f"no weight {name}")
        elif tuple(weights[name].shape) != shape:
            problems.append(f"{name} is {list(weights[name].shape)}, the architecture says {list(shape)}")
    extra = sorted(set(weights) - set(expected_shapes(kind, arch)))
    if extra:
        problems.append(f"unexpected weights {', '.join(extra[:3])}")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SpiketextError(f"{where}: weights do not match the architecture: {problems[0]}{more}; checkpoint damaged")
    return kind, arch, snn, data, table


def _open_vectors(path: Path, data: dict[str, Any], cache_dir: Path) -> WordVectors | None:
    """The pretrained vectors for words outside the vocabulary, where they can be trusted (module docstring)."""
    name = data.get("embeddings")
    if not isinstance(name, str):
        return None
    folder = path.parent.parent  # RUN/checkpoints/NAME -> RUN
    kept, digest = data.get("vectors_folder"), data.get("vectors_sha256")
    if isinstance(kept, str) and isinstance(digest, str) and "/" not in kept and kept not in ("", ".", ".."):
        vectors = open_kept_vectors(folder / kept, digest)
        if vectors is not None:
            return vectors
        log.info("%s: the vectors it was trained with are not in %s (or changed since)", path, folder / kept)
    if name == DEFAULT_ENGLISH_EMBEDDINGS:
        return load_vectors(name, cache_dir)
    recorded = data.get("embeddings_sha256")
    candidates = [Path(name)] if Path(name).is_absolute() else [folder / name, Path(name)]
    for candidate in candidates:
        if recorded and candidate.exists() and embeddings_digest(str(candidate), cache_dir).get("sha256") == recorded:
            return load_vectors(str(candidate), cache_dir)
    log.info("%s: its vectors are not available here; words outside its vocabulary use the OOV vector", path)
    return None


def load_bundle(
    path: str | Path, cache_dir: Path | None = None, open_vocabulary: bool = True, strict: bool = False
) -> ModelBundle:
    """Rebuild a model and its featurizer from a checkpoint (`NAME`, `NAME.json` or `NAME.safetensors`); `strict`
    refuses a checkpoint written before digests existed."""
    path = Path(path)
    if path.suffix in (".json", ".safetensors"):
        path = path.with_suffix("")
    tensors, meta = load_checkpoint(path, strict)
    kind, arch, snn, data, table = _check_bundle(path, tensors, meta)
    model = build_model(kind, arch, snn)
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    model.eval()
    transform = PositiveTransform(**data["transform"]) if data.get("transform") else None

    def open_vectors() -> WordVectors | None:
        try:
            vectors = _open_vectors(path, data, cache_dir or Path.home() / ".cache" / "spiketext")
        except SpiketextError as e:
            log.warning("%s; words outside the model's vocabulary will use the OOV vector", e)
            return None
        if vectors is not None and vectors.dim != arch.dim:
            log.warning("%s: vectors of dimension %d for a model of %d; not used", path, vectors.dim, arch.dim)
            return None
        return vectors

    featurizer = TextFeaturizer(
        language=data["language"],
        vocab=Vocabulary(data["vocab"]),
        table=table,
        max_len=data["max_len"],
        transform=transform,
        vectors_name=str(data.get("embeddings")),
        open_vectors=open_vectors if open_vocabulary else None,
    )
    descriptions = data.get("label_descriptions") or [None] * len(data["labels"])
    return ModelBundle(kind, model, featurizer, data["labels"], descriptions, meta, str(path))


@torch.no_grad()
def classify(
    bundle: ModelBundle, texts: list[str], seed: int = 0, num_steps: int | None = None, batch_size: int = 256
) -> list[dict[str, Any]]:
    """Classify raw strings (batched). For an SNN: the spike count of every class over T (one seeded draw), or,
    with the membrane readout (snn.readout membrane), each class's membrane: its output currents summed over T.

    Each entry says whether the top score was a tie (the class is then the first of the tied ones) and how many
    of the text's tokens the model knows.
    """
    if batch_size < 1:
        raise SpiketextError(f"batch size {batch_size}: must be >= 1")
    if num_steps is not None and num_steps < 1:
        raise SpiketextError(f"--num-steps {num_steps}: T must be >= 1")
    for i, t in enumerate(texts):
        if not isinstance(t, str) or not t.strip():
            raise SpiketextError(f"text {i + 1} is empty; give some words to classify")
    gen = generator(seed)
    f = bundle.featurizer
    results = []
    for start in range(0, len(texts), batch_size):
        chunk = texts[start : start + batch_size]
        tokens = f.tokenize(chunk)
        x = f.encode_tokens(tokens)
        snn = bundle.kind == "snn"
        scores = bundle.model.class_counts(x, Draw(num_steps, gen)) if snn else bundle.model(x)  # type: ignore[operator]
        for text, toks, s in zip(chunk, tokens, scores, strict=True):
            c = int(s.argmax())
            known = sum(1 for t in toks[: f.max_len] if t in f.vocab.stoi or (f.vectors and t in f.vectors.index))
            entry: dict[str, Any] = {
                "text": text,
                "label": bundle.labels[c],
                "class_id": c,
                "tie": int((s == s.max()).sum()) > 1,
                "known_tokens": known,
            }
            if bundle.label_descriptions and bundle.label_descriptions[c]:
                entry["description"] = bundle.label_descriptions[c]
            if bundle.kind == "snn" and bundle.model.spiking_output:
                entry["spike_counts"] = {lab: int(v) for lab, v in zip(bundle.labels, s.tolist(), strict=True)}
            elif bundle.kind == "snn":  # the membrane readout: the output layer's summed currents, not counts
                entry["membrane"] = {lab: float(v) for lab, v in zip(bundle.labels, s.tolist(), strict=True)}
            else:
                entry["logits"] = {lab: float(v) for lab, v in zip(bundle.labels, s.tolist(), strict=True)}
            results.append(entry)
    return results
