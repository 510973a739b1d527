"""Assessing saved models and run folders: accuracy, energy recounts, spike rasters, NIR export (attacks:
`spiketext.runs.robustness`).

Every function takes a run folder (or a checkpoint) and checks its values before any work: counts are positive
and bounded, seeds non-negative, T small enough to fit in memory, output folders writable. A run's own data is
read only if its files still have the content the run was made from (inputs.json).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spiketext.core.checkpoint import checkpoint_exists
from spiketext.core.codes import Draw
from spiketext.core.inference import ModelBundle
from spiketext.core.inference import classify as classify_texts
from spiketext.core.runtime import autocast_dtype, evaluation_seed, generator
from spiketext.core.transformer_bundle import TransformerBundle, classify_transformer
from spiketext.energy.files import write_energy
from spiketext.energy.report import count_energy
from spiketext.errors import SpiketextError
from spiketext.io import atomic_write, atomic_write_json, atomic_write_text, check_writable, writer_lock
from spiketext.runs.folder import CHECKPOINTS, run_folder_of
from spiketext.runs.saved import Bundle, check_steps, load_model, run_corpus, split_of
from spiketext.settings.config import (
    DataConfig,
)
from spiketext.settings.verbs import (
    EnergyConfig,
    EvaluateConfig,
    ExportConfig,
    check_positive,
    check_seed,
    with_settings,
)
from spiketext.stats import sample_std


def classify(model: Bundle, texts: list[str], seed: int = 0, num_steps: int | None = None) -> list[dict]:
    """Classify raw strings in batches; the same path `spiketext predict` uses (a transformer's too)."""
    check_positive(num_steps, "num_steps")
    check_seed(seed)
    for i, t in enumerate(texts):
        if not isinstance(t, str) or not t.strip():
            raise SpiketextError(f"text {i + 1} is empty; give some words to classify")
    if isinstance(model, TransformerBundle):
        return classify_transformer(model, texts, num_steps)
    check_steps(model, num_steps, min(len(texts), 256))
    return classify_texts(model, texts, seed=seed, num_steps=num_steps)


def evaluate(
    path: str | Path, config: EvaluateConfig | None = None, data: DataConfig | None = None, **settings: Any
) -> dict:
    """Accuracy of a saved model on a split (`verbs.EvaluateConfig`, or its fields as keywords). Data: `data`,
    else the run folder's own configuration.

    Texts go through the checkpoint's tokenizer and vocabulary, exactly as `predict` does.
    """
    c: EvaluateConfig = with_settings(config, EvaluateConfig, settings)
    split, repeats, seed, num_steps, model = c.split, c.repeats, c.seed, c.num_steps, c.model
    bundle = load_model(path, model, strict=c.strict)
    check_steps(bundle, num_steps, 256)
    corpus, _ = run_corpus(path, data)
    part = split_of(corpus, split)
    if corpus.labels != bundle.labels:
        raise SpiketextError(f"labels of the data {corpus.labels} differ from the model's {bundle.labels}")
    stochastic = bundle.kind == "snn" and not isinstance(bundle, TransformerBundle) and bundle.model.stochastic
    draws = repeats if stochastic else 1  # a deterministic model (a CNN, a transformer, a TTFS or regular-code SNN
    accs = []  # without input noise): one draw says it all
    for r in range(draws):
        preds = [p["class_id"] for p in classify(bundle, part.texts, seed=seed + r, num_steps=num_steps)]
        accs.append(float(np.mean(np.array(preds) == part.labels)))
    return {
        "model": bundle.path,
        "kind": bundle.kind,
        "split": split,
        "size": len(part.texts),
        "acc": float(np.mean(accs)),
        "std": sample_std(accs),
        "accs": accs,
        "seeds": [seed + r for r in range(draws)] if draws > 1 else None,
        "num_steps": (num_steps or bundle.num_steps) if bundle.kind == "snn" else None,
    }


def _run_cnn(path: str | Path) -> torch.nn.Module | None:
    """The tailored CNN of the run folder that holds `path` (for the zero-skipping baseline), if it has one."""
    folder = run_folder_of(path)
    if folder is None or not checkpoint_exists(folder / "checkpoints" / "cnn"):
        return None
    bundle = load_model(folder, "cnn")
    return bundle.model if bundle.kind == "tailored_cnn" else None


def energy(
    path: str | Path,
    config: EnergyConfig | None = None,
    data: DataConfig | None = None,
    out: str | Path | None = None,
    **settings: Any,
) -> dict:
    """Per-layer operation counts and energy of a saved SNN and its CNN on a split (texts in file order, one
    seeded draw; `verbs.EnergyConfig`, or its fields as keywords); with `out`, also energy.json / .md / .png there.

    Inside a run folder the defaults are the run's own (data, batch size, precision, and the seed of its first
    test draw), so the count equals the one `spiketext run` stored; elsewhere seed 0, batch 256, precision auto.
    A recount with other settings is named after them (e.g. energy_int8_T4.json), never over the run's own.
    """
    c: EnergyConfig = with_settings(config, EnergyConfig, settings)
    with writer_lock(out) if out is not None else contextlib.nullcontext():  # energy.* beside a run's other files
        return _energy(path, c, data, out)


def _energy(path: str | Path, c: EnergyConfig, data: DataConfig | None, out: str | Path | None) -> dict:
    split, seed, num_steps, costs, model = c.split, c.seed, c.num_steps, c.costs, c.model
    batch_size, precision, save_spikes = c.batch_size, c.precision, c.save_spikes
    bundle = load_model(path, model, strict=c.strict)
    if isinstance(bundle, TransformerBundle):
        return _transformer_energy(path, bundle, c, data, out)
    if bundle.kind != "snn":
        snns = ", ".join(n for n in CHECKPOINTS if n != "cnn")
        raise SpiketextError(f"--model {model!r}: choose one of {snns} (energy counts an SNN against its CNN)")
    corpus, cfg = run_corpus(path, data)
    run_seed = evaluation_seed("test", cfg.seed) if cfg is not None else 0
    run_batch = cfg.eval_batch_size if cfg is not None else 256
    run_precision = cfg.precision if cfg is not None else "auto"
    seed = run_seed if seed is None else seed
    batch_size = batch_size or run_batch
    precision = precision or run_precision
    T = num_steps or bundle.num_steps
    check_steps(bundle, T, batch_size)
    texts = split_of(corpus, split).texts
    if out is not None:
        check_writable(out)
    inputs = (bundle.featurizer.encode(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size))
    dtype = autocast_dtype(precision, torch.device("cpu"))
    cnn = _run_cnn(path)
    report = count_energy(bundle.model, inputs, T, seed, costs, dtype, save_spikes, cnn)  # type: ignore[arg-type]
    report.update(model=bundle.path, split=split, seed=seed)
    if out is not None:
        # the run's own record is energy.*; any other count is named after what differs
        differs = [
            ("data", data is not None, "data"),
            ("model", model != "snn_finetuned", model),
            ("split", split != "test", split),
            ("T", bundle.num_steps != T, f"T{T}"),
            ("costs", costs != "fp32", costs),
            ("seed", seed != run_seed, f"seed{seed}"),
            ("batch", batch_size != run_batch, f"batch{batch_size}"),
            ("precision", precision != run_precision, precision),
        ]
        stem = "_".join(["energy", *(tag for _, changed, tag in differs if changed)])
        report["files"] = write_energy(report, out, stem)
    return report


def _transformer_energy(
    path: str | Path, bundle: TransformerBundle, c: EnergyConfig, data: DataConfig | None, out: str | Path | None
) -> dict:
    """The spiking transformer's recount on a split at T (default: the T its run chose on dev), against the run's
    ANN and QANN; deterministic (no draw), fp32 costs. Written as energy_<what differs>.json / .md, never over the
    run's own energy.*."""
    from spiketext.core.models.transformer import TextTransformer, TransformerShape
    from spiketext.energy.transformer import transformer_energy_markdown
    from spiketext.runs.transformer import count_energy

    if bundle.kind != "snn":
        raise SpiketextError(f"--model {c.model!r}: choose snn (energy counts the spiking transformer against its ANN)")
    if c.costs != "fp32":
        raise SpiketextError(
            f"--costs {c.costs}: the transformer is counted at fp32 costs (its report adds the ANN in int8 and the "
            "QANN at ⌈log₂(T+1)⌉ bits as baselines); drop --costs"
        )
    folder = run_folder_of(path)
    ann_arch = (bundle.meta.get("release") or {}).get("ann_arch")  # a released model: the ANN's shape is enough
    if ann_arch is None and (folder is None or not checkpoint_exists(folder / "checkpoints" / "ann")):
        raise SpiketextError(
            f"{path}: no ANN checkpoint beside the spiking transformer (checkpoints/ann): its baseline"
        )
    T = c.num_steps or bundle.num_steps
    check_positive(T, "num_steps")
    corpus, _ = run_corpus(path, data)
    if corpus.labels != bundle.labels:
        raise SpiketextError(f"labels of the data {corpus.labels} differ from the model's {bundle.labels}")
    pieces = bundle.tokenizer.encode(split_of(corpus, c.split).texts)
    if out is not None:
        check_writable(out)
    if ann_arch is not None:  # the ANN's operations depend on its shape alone (`ann_counts`)
        ann = TextTransformer(TransformerShape.from_json(ann_arch, f"{bundle.path}.json: release.ann_arch"))
    else:
        ann = load_model(folder, "ann", strict=c.strict).model  # type: ignore[union-attr]
    with torch.no_grad():
        report = count_energy(ann, bundle.model, pieces, T, c.batch_size or 64)  # type: ignore[arg-type]
    report.update(family="transformer", model=bundle.path, split=c.split, num_steps=T)
    if out is not None:
        tags = [tag for changed, tag in ((data is not None, "data"), (c.split != "test", c.split),
                                         (bundle.num_steps != T, f"T{T}")) if changed]  # fmt: skip
        stem = "_".join(["energy", *(tags or ["recount"])])  # the run's own energy.* stays as its snn stage wrote it
        paths = {"json": Path(out) / f"{stem}.json", "md": Path(out) / f"{stem}.md"}
        atomic_write_json(paths["json"], report)
        atomic_write_text(paths["md"], transformer_energy_markdown(report) + "\n")
        report["files"] = {k: str(v) for k, v in paths.items()}
    return report


@torch.no_grad()
def raster(model: Bundle, text: str, path: str | Path, seed: int = 0, num_steps: int | None = None) -> dict:
    """Spike raster PNG of one sentence through every layer of an SNN; returns per-layer spike counts."""
    if isinstance(model, TransformerBundle):
        raise SpiketextError("a raster draws a spiking TextCNN's layers; the transformer has none drawn yet")
    if model.kind != "snn":
        raise SpiketextError("a raster needs an SNN checkpoint (snn_converted or snn_finetuned)")
    if not text.strip():
        raise SpiketextError("text is empty; give some words to classify")
    check_positive(num_steps, "num_steps")
    check_seed(seed)
    check_steps(model, num_steps, 1)
    check_writable(Path(path).parent, "raster folder")
    x = model.featurizer.encode([text])
    _, layers = model.model.class_scores(x, Draw(num_steps, generator(seed)), record=True)
    layers = {k: v[:, 0] for k, v in layers.items() if k != "output_current"}  # batch of one -> [T, ...]
    from spiketext.viz import raster_figure, save_figure  # matplotlib only where a figure is drawn

    save_figure(raster_figure(layers, title=text, labels=model.labels), path)
    return {k: int(v.sum()) for k, v in layers.items()}


# --- NIR export ----------------------------------------------------------------------------------------------------


@torch.no_grad()
def export_nir(
    path: str | Path,
    out: str | Path,
    config: ExportConfig | None = None,
    data: DataConfig | None = None,
    **settings: Any,
) -> dict:
    """Write a saved SNN as a NIR graph to `out` (see `spiketext.core.nir`), read it back with `nir`, run it with
    nirtorch, and compare it with spiketext's own SNN on the same input spikes (`check` sentences of `split`, default
    all; 0 skips the check): spikes that differ per layer, and both accuracies. Reset by subtraction or a raised
    initial membrane export only with `lossy` (as reset-to-zero IF neurons started at 0); the report then gives
    the accuracy change. Returns the report; `check.equal` is False where an exact export's spikes differ."""
    from spiketext.core.nir import _nir

    c: ExportConfig = with_settings(config, ExportConfig, settings)
    nir = _nir()  # the extra is named with its install command before any work
    bundle = load_model(path, c.model, strict=c.strict)
    if isinstance(bundle, TransformerBundle):
        raise SpiketextError(
            f"{path}: NIR has no attention, softmax or LayerNorm node, so the spiking transformer cannot be written "
            "as a NIR graph; export a TextCNN run's SNN"
        )
    if bundle.kind != "snn":
        raise SpiketextError(f"{path}: NIR export needs an SNN checkpoint (snn_finetuned or snn_converted)")
    # export-nir runs the checkpoint at its own T (a graph of another T would not be this model)
    check_steps(bundle, None, c.batch_size, "lower --batch-size; a T this large means the checkpoint was edited")
    out = Path(out)
    with writer_lock(out.parent, "NIR output folder"):
        return _export(bundle, out, c, path, data, nir)


def _export(bundle: ModelBundle, out: Path, c: ExportConfig, path: str | Path, data: DataConfig | None, nir) -> dict:
    from spiketext.core.nir import SIMULATORS, graph_metadata, lossy_changes, to_nir

    sim = SIMULATORS.get(c.simulator, "--simulator")

    snn, feat = bundle.model, bundle.featurizer
    lossy, split, n, seed, batch_size = c.lossy, c.split, c.check, c.seed, c.batch_size
    changes = lossy_changes(snn)
    meta = {**_nir_metadata(bundle, changes), "simulator": sim.name, "thresholds": "one float above θ (an IF that "
            "fires at v ≥ θ)" if sim.fires_at else "θ (NIR's IF: fires at v > θ)"}  # fmt: skip
    graph = to_nir(snn, feat.max_len, lossy, meta, fires_at=sim.fires_at)
    atomic_write(out, lambda tmp: nir.write(str(tmp), graph))
    back = nir.read(str(out))
    report: dict[str, Any] = {
        "path": str(out),
        "bytes": out.stat().st_size,
        "source": bundle.path,
        "nodes": len(back.nodes),
        "edges": len(back.edges),
        "exact": not changes,
        "changes": changes,
        "metadata_round_trip": graph_metadata(back) == meta,
        "simulator": sim.what,
    }
    if n == 0:
        return report
    corpus, _ = run_corpus(path, data)
    part = split_of(corpus, split)
    if corpus.labels != bundle.labels:
        raise SpiketextError(f"labels of the data {corpus.labels} differ from the model's {bundle.labels}")
    texts, labels = part.texts[:n] if n else part.texts, np.asarray(part.labels[:n] if n else part.labels)
    check = _round_trip(bundle, sim, sim.load(back), texts, labels, seed, batch_size)
    report["check"] = {"split": split, "simulator": sim.name, **check}
    return report


def _nir_metadata(bundle: ModelBundle, changes: list[str]) -> dict[str, Any]:
    """What an exported graph carries beside the network: labels, T, L, the input code and its domain."""
    snn = bundle.model
    return {
        "format": "spiketext NIR export 1",
        "source": bundle.path,
        "labels": bundle.labels,
        "neurons_per_class": snn.num_outputs // snn.num_classes,
        "num_steps": bundle.num_steps,
        "max_len": bundle.featurizer.max_len,
        "input_code": snn.input_code,
        "input_domain": snn.input_domain,
        "input_scale": snn.snn.input_scale,
        "input_noise": snn.snn.input_noise,
        "readout": snn.snn.readout,
        "exact": not changes,
        "changes": changes,
        "input": "spikes [D, L] per step: the input code applied to the checkpoint's e⁺ embeddings (spiketext.encode)",
        "class_scores": "class c: the sum over T steps of outputs [n·c, n·c + n)",
    }


@torch.no_grad()
def _round_trip(
    bundle: ModelBundle, sim: Any, module: Any, texts: list[str], labels: np.ndarray, seed: int, batch_size: int
) -> dict[str, Any]:
    """spiketext's SNN and the NIR graph run by the simulator `sim` on the same input spikes: spikes that differ per
    layer, both accuracies, and how often the predictions agree."""
    from spiketext.core.nir import compare_layers

    snn, feat, T = bundle.model, bundle.featurizer, bundle.num_steps
    mismatches: dict[str, int] = {}
    compared = 0
    preds_ours, preds_nir = [], []
    for b, i in enumerate(range(0, len(texts), batch_size)):
        spikes = snn.encode(feat.encode(texts[i : i + batch_size]), Draw(T, generator(seed, b)))  # [T, B, D, L]
        ours, layers = snn(spikes, record=True)
        theirs, nir_layers = sim.run(module, spikes, record=True)
        differ = compare_layers(layers, nir_layers, snn.kernel_sizes)
        differ["output"] = int((ours.float() != theirs.float()).sum())  # spikes, or currents (membrane readout)
        for layer, count in differ.items():
            mismatches[layer] = mismatches.get(layer, 0) + count
        compared += sum(v.numel() for k, v in layers.items() if k != "input")
        preds_ours.append(snn.readout(ours).sum(0).argmax(-1))
        preds_nir.append(snn.readout(theirs).sum(0).argmax(-1))
    p_ours, p_nir = torch.cat(preds_ours).numpy(), torch.cat(preds_nir).numpy()
    acc_ours, acc_nir = float(np.mean(p_ours == labels)), float(np.mean(p_nir == labels))
    return {
        "sentences": len(texts),
        "seed": seed,
        "num_steps": T,
        "executor": "nirtorch (IF: v <- v + r*I, z = v > threshold, v <- v_reset where z; dt = 1)",
        "spikes_compared": compared,
        "spike_mismatches": mismatches,
        "equal": not any(mismatches.values()),
        "acc_spiketext": acc_ours,
        "acc_nir": acc_nir,
        "acc_change": acc_nir - acc_ours,
        "predictions_agree": float(np.mean(p_ours == p_nir)),
    }
