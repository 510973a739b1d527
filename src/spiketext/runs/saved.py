"""A saved run or checkpoint opened for assessment: its models, its corpus (checked against the files the run
was made from), and the checks every verb applies to its arguments before any work (counts positive and bounded,
seeds non-negative, T small enough to fit in memory)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from spiketext.core.checkpoint import checkpoint_exists
from spiketext.core.inference import ModelBundle, load_bundle
from spiketext.core.models.spiking import memory_bytes
from spiketext.core.runtime import check_memory
from spiketext.core.transformer_bundle import (
    KINDS,
    MODEL_FORMAT,
    TRANSFORMER_MODELS,
    TransformerBundle,
    open_transformer,
)
from spiketext.data.corpus import Corpus
from spiketext.data.embeddings import WordVectors, embedding_matrix
from spiketext.data.load import digests_differ, input_digests, load_corpus
from spiketext.data.skipgram import train_skipgram
from spiketext.errors import SpiketextError
from spiketext.io import read_json_object
from spiketext.runs.folder import data_of, find_run_config, resolve_model_path, run_folder_of
from spiketext.runs.released import is_released, released_dataset, released_stem
from spiketext.settings.config import TRAINED_EMBEDDINGS, DataConfig, RunConfig

Bundle = ModelBundle | TransformerBundle  # what a verb on a saved model holds: a TextCNN or a transformer


def load_model(
    path: str | Path, name: str = "snn_finetuned", cache_dir: str | Path | None = None, strict: bool = False
) -> Bundle:
    """Load a checkpoint, or a run folder's checkpoint `name` (default: its fine-tuned SNN; in a transformer run,
    snn: its QANN run as spikes for the T chosen on dev, or qann, ann); `strict` refuses a checkpoint written
    before digests existed (by default it loads with a warning)."""
    if not Path(path).exists() and is_released(str(path)):
        name = "snn_finetuned" if name == str(path) else name  # `predict --model NAME`: the model itself
        path = released_stem(str(path))  # a released model's name: its shipped checkpoint
    transformer = _transformer_model(path, name, strict)
    if transformer is not None:
        return transformer
    cache = Path(cache_dir) if cache_dir else DataConfig(dataset="sst2").resolved_cache_dir()
    return load_bundle(resolve_model_path(path, name), cache, strict=strict)


def _transformer_model(path: str | Path, name: str, strict: bool) -> TransformerBundle | None:
    """A transformer run's model `name` (the TextCNN's default names its SNN), or a transformer checkpoint; None
    for anything else."""
    p = Path(path)
    if p.is_dir():
        cfg = find_run_config(p)
        if cfg is None or cfg.family != "transformer":
            return None
        folder = run_folder_of(p)
        assert folder is not None
        name = "snn" if name == "snn_finetuned" else name
        if name not in TRANSFORMER_MODELS:
            raise SpiketextError(f"--model {name!r}: a transformer run offers {', '.join(TRANSFORMER_MODELS)}")
        stem = folder / "checkpoints" / ("qann" if name == "snn" else name)
        if not checkpoint_exists(stem):
            raise SpiketextError(f"{folder}: has no {stem.name} checkpoint yet; finish the run (spiketext run)")
        return open_transformer(stem, name, _chosen_steps(folder) if name == "snn" else None, strict)
    stem = p.with_suffix("") if p.suffix in (".json", ".safetensors") else p
    meta = read_json_object(Path(f"{stem}.json"))
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT or meta.get("kind") not in KINDS.values():
        return None  # not a transformer's (a TextCNN checkpoint shares the format name)
    kind = "qann" if meta.get("kind") == KINDS["qann"] else "ann"
    steps = (meta.get("release") or {}).get("num_steps") if isinstance(meta.get("release"), dict) else None
    if kind == "qann" and steps is not None and name in ("snn_finetuned", "snn"):
        # a released spiking transformer: its QANN run as spikes for the T its run chose on dev
        if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= 4096:
            raise SpiketextError(f"{stem}.json: release.num_steps {steps!r} is not a T in 1 … 4096; checkpoint damaged")
        return open_transformer(stem, "snn", steps, strict)
    if steps is not None and name not in ("snn_finetuned", "snn", kind):
        raise SpiketextError(f"--model {name!r}: the released {stem} offers snn (default) or qann")
    return open_transformer(stem, kind, None, strict)


def _chosen_steps(folder: Path) -> int:
    """The T a transformer run chose on dev (its snn stage's record)."""
    record = read_json_object(folder / "snn_steps.json", "rerun `spiketext run` on the folder to rewrite it")
    chosen = record.get("chosen") if isinstance(record, dict) else None
    if not isinstance(chosen, int) or isinstance(chosen, bool) or chosen < 1:
        raise SpiketextError(
            f"{folder}: no T chosen yet (snn_steps.json missing or damaged); finish the run's snn stage first"
        )
    return chosen


def check_steps(
    bundle: ModelBundle, num_steps: int | None, batch: int, fix: str = "pass a smaller --num-steps"
) -> None:
    """Refuse a T whose inference cannot fit, before allocating (one line with the estimate and `fix`, what the
    calling verb offers); without --num-steps the checkpoint's own T is checked (a damaged or hostile checkpoint
    may name any)."""
    if bundle.kind != "snn" or isinstance(bundle, TransformerBundle):
        return
    T = num_steps or bundle.num_steps or 1
    what = f"T = {T:,}" if num_steps else f"the checkpoint's own T = {T:,} (snn.num_steps in {bundle.path}.json)"
    m, f = bundle.model, bundle.featurizer
    need = memory_bytes(f.table.shape[1], m.num_filters, m.kernel_sizes, f.max_len, batch, T, training=False)
    check_memory(need, torch.device("cpu"), f"{what} with a batch of {batch}", fix)


def run_corpus(path: str | Path, data: DataConfig | None) -> tuple[Corpus, RunConfig | None]:
    """The corpus to evaluate on: `data`, else the run's own (whose files must still have the run's content)."""
    given = data is not None
    if data is None and not Path(path).exists() and is_released(str(path)):
        data = DataConfig(dataset=released_dataset(str(path)))  # a released model: the data set it was made on
    data, cfg = data_of(path, data)
    folder = run_folder_of(path)
    try:
        corpus = load_corpus(data)
    except SpiketextError as e:
        files = [Path(f) for f in (data.train, data.dev, data.test) if f]
        if given or data.dataset is not None or not all(f.is_file() for f in files):
            raise  # a built-in data set, or a file that is not there: the message names only paths
        # a file the run's config.json names could be anything: say which, never what is in it
        raise SpiketextError(
            f"{folder}/config.json: the run's data files ({', '.join(map(str, files))}) could not be read as this "
            "run's data; pass the data explicitly (a data set name or --train FILE)"
        ) from e
    recorded = read_json_object(folder / "inputs.json") if (not given and folder is not None) else None
    if recorded is None and not given and folder is not None:
        raise SpiketextError(
            f"{folder}: no inputs.json, so the run's data files cannot be checked against what it was trained on "
            "(the folder is damaged); pass the data explicitly (a data set name or --train FILE)"
        )
    if recorded is not None:
        changed = [c for c in digests_differ(recorded, input_digests(data, corpus)) if c != "embeddings"]
        if changed:
            raise SpiketextError(
                f"{folder}: the run's {', '.join(changed)} file changed since the run (content digest differs); "
                "pass the data explicitly to evaluate on the new content"
            )
    return corpus, cfg


def run_vectors(bundle: ModelBundle, path: str | Path) -> WordVectors:
    """The word vectors a run's model was made from: the pretrained table, or, for `train-skipgram`, the skip-gram
    vectors the run trained, which the run keeps in RUN/vectors/ (local, like its checkpoints). A checkpoint
    written before runs kept them, or moved without its folder, has them rebuilt from the run's training split,
    settings and seed (one gensim worker), checked against the checkpoint's own e⁺ table: every vocabulary row
    must be the transform of its rebuilt vector."""
    f = bundle.featurizer
    if f.vectors is not None:
        return f.vectors
    if f.vectors_name != TRAINED_EMBEDDINGS:
        raise SpiketextError(
            f"{path}: the model's vectors ({f.vectors_name}) are not available here; put the vector file where the "
            "run's config.json names it"
        )
    corpus, cfg = run_corpus(path, None)
    if cfg is None or f.transform is None:
        raise SpiketextError(f"{path}: trained skip-gram vectors are rebuilt from a run folder's own config.json")
    tokens = f.tokenize(corpus.splits["train"].texts)
    vectors = train_skipgram(tokens, cfg.data.resolved_cache_dir(), cfg.data.skipgram, cfg.seed)
    expected = embedding_matrix(f.vocab, vectors, f.transform)
    worst = float(np.abs(expected - f.table.numpy()).max()) if expected.shape == tuple(f.table.shape) else np.inf
    if worst > 1e-5:
        raise SpiketextError(
            f"{path}: the rebuilt skip-gram vectors do not give the checkpoint's table (largest difference "
            f"{worst:.2g}): the training split, its tokenizer or gensim differ from the run's"
        )
    return vectors


def split_of(corpus: Corpus, split: str):
    if split not in corpus.splits:
        raise SpiketextError(f"split {split!r}: choose train, dev or test")
    return corpus.splits[split]
