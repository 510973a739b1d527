"""The Python API: the functions the `spiketext` command calls, one per thing a user does.

from spiketext import api
from spiketext.settings.config import DataConfig
from spiketext.settings.presets import build_run_config

results = api.run(build_run_config("quick", overrides={"data": {"dataset": "sst2"}}), "runs/sst2")
model = api.load_model("runs/sst2")                     # the fine-tuned SNN of a run folder
api.classify(model, ["a gorgeous, witty film", "a dull mess"])
data = api.load_data(DataConfig(dataset="mr"))          # tokens, vocabulary, e⁺ table [V, D], ids [N, L]
for x, y in api.batches(data, "train", batch_size=32, shuffle=True, seed=0):  # x [B, D, L], y [B]
    ...

api.export_nir("runs/sst2", "sst2.nir")               # the SNN as a NIR graph, checked by a round trip

The work lives below: `pipeline` (stages), `sweep`, `assess` (evaluate, energy, raster, NIR export on saved
runs), `robustness` (attacks on saved runs), `nir_export`,
`energy`, `attacks`, `inference`, `data.load`, `runs`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from spiketext.data.embeddings import export_vectors
from spiketext.data.load import batches, describe_data, fetch_dataset, fetch_named_embeddings, load_corpus
from spiketext.data.load import load_data as load_data
from spiketext.errors import SpiketextError
from spiketext.io import writer_lock
from spiketext.runs import robustness, seeds
from spiketext.runs.assess import classify, energy, evaluate, export_nir, raster
from spiketext.runs.folder import find_run_config, run_folder_of
from spiketext.runs.parallel import Backend, choose_backend
from spiketext.runs.reproduce import method_markdown, method_table, reproduce
from spiketext.runs.results import AttackReport, RunResult
from spiketext.runs.saved import load_model
from spiketext.runs.sweep import parse_grid, summarize_sweep, sweep, sweep_markdown
from spiketext.runs.textcnn import Context, convert_stage, finetune_stage, open_run, train_cnn_stage
from spiketext.settings.config import DataConfig, RunConfig

__all__ = [
    "attack",
    "Backend",
    "batches",
    "choose_backend",
    "classify",
    "convert",
    "describe_data",
    "energy",
    "evaluate",
    "export_embeddings",
    "export_nir",
    "fetch_dataset",
    "fetch_named_embeddings",
    "find_run_config",
    "finetune",
    "load_corpus",
    "load_data",
    "load_model",
    "method_markdown",
    "method_table",
    "parse_grid",
    "raster",
    "released_models",
    "reopen",
    "reproduce",
    "run",
    "summarize_sweep",
    "sweep",
    "sweep_markdown",
    "textattack_wrapper",
    "train_ann",
    "train_cnn",
]


def textattack_wrapper(
    path: str | Path, model: str = "snn_finetuned", mode: str = "expected", draws: int = 8, seed: int = 0
):
    """A TextAttack `ModelWrapper` (texts -> class probabilities [N, C]) over a checkpoint or a run folder's model
    `model` (cnn, or an SNN checkpoint); a Bernoulli SNN is scored as `spiketext attack` scores it (`mode`
    expected: the mean over `draws` fresh draws per call). See `spiketext.attacks.textattack_wrapper`."""
    import torch

    from spiketext.attacks.textattack_wrapper import SpiketextModelWrapper
    from spiketext.attacks.victim import Victim
    from spiketext.core.runtime import autocast_dtype

    bundle = load_model(path, model)
    return SpiketextModelWrapper(Victim(bundle, mode, seed, draws, dtype=autocast_dtype("auto", torch.device("cpu"))))


# --- the pipeline, a stage at a time ------------------------------------------------------------------------------


def train_cnn(cfg: RunConfig, out: str | Path) -> dict:
    """Train the tailored CNN into run folder `out` (created if needed)."""
    with writer_lock(out):
        return train_cnn_stage(open_run(cfg, out))


def train_ann(cfg: RunConfig, out: str | Path) -> dict:
    """Fine-tune the transformer family's ANN into run folder `out` (created if needed; family = transformer)."""
    from spiketext.runs.ledger import started
    from spiketext.runs.transformer import ann_stage, open_transformer_run

    with writer_lock(out), started(open_transformer_run(cfg, out)) as ctx:
        return ann_stage(ctx)


def reopen(run_dir: str | Path) -> Context:
    """The context of an existing run folder (its own configuration, checked against its inputs)."""
    cfg = find_run_config(run_dir)
    if cfg is None:
        raise SpiketextError(f"{run_dir}: no config.json here; give a run folder made by `spiketext run` or train-cnn")
    return open_run(cfg, run_folder_of(run_dir) or run_dir)


def convert(run_dir: str | Path, normalization: str = "none") -> dict:
    """Convert a run's CNN into an SNN (config.Normalization) and evaluate it."""
    with writer_lock(run_folder_of(run_dir) or run_dir):
        return convert_stage(reopen(run_dir), normalization)


def finetune(run_dir: str | Path) -> dict:
    """Fine-tune a run's converted SNN with surrogate gradients (converting first if needed)."""
    with writer_lock(run_folder_of(run_dir) or run_dir):
        return finetune_stage(reopen(run_dir))


# --- data helpers ------------------------------------------------------------------------------------------------


def export_embeddings(datasets: list[DataConfig], dest: str | Path, embeddings: str | None = None) -> dict:
    """Cut the vectors of every word in the given data sets (all splits) out of their table, keeping μ and σ.

    `--embeddings DEST` then reproduces those data sets' inputs exactly, without the full table.
    """
    if not datasets:
        raise SpiketextError("export-embeddings: name at least one data set")
    words: set[str] = set()
    vectors = None
    for cfg in datasets:
        data = load_data(dataclasses.replace(cfg, embeddings=embeddings or cfg.embeddings))
        vectors = data.vectors
        words.update(t for split in data.tokens.values() for ts in split for t in ts)
    assert vectors is not None
    path = export_vectors(vectors, words, Path(dest))
    return {"path": str(path), "words": len(words), "name": vectors.name}


def run(cfg: RunConfig, out: str | Path, restart: str | None = None) -> RunResult:
    """The whole method (`spiketext run`): every stage of cfg's model family, resuming whatever the folder holds;
    with cfg.seeds > 1, one folder per seed and the mean ± std over seeds. Returns results.json as a typed value
    (`RunResult`: its stage rows, energy summary, notes and warnings)."""
    return RunResult.from_json(seeds.run(cfg, out, restart=restart), f"{out}/results.json")


def attack(path: str | Path, config=None, data: DataConfig | None = None, out: str | Path | None = None, **settings):
    """Attack a run's models (`spiketext attack`; `runs.robustness.attack` says how). Returns the report as a typed
    value (`AttackReport`: every victim's summary, the paired comparisons, the transfer; `extra["files"]`: what
    was written to `out`)."""
    return AttackReport.from_json(robustness.attack(path, config, data, out, **settings), "attack report")


def released_models() -> dict:
    """The released models that ship with spiketext: {name: data set, test accuracy, its CNN's, T, input code,
    energy ratio, size}; `load_model(name)` loads one, offline (its card: spiketext/released/NAME/card.md)."""
    from spiketext.runs.released import index

    return index()
