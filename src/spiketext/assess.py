"""Assessing saved models and run folders: accuracy, energy recounts, spike rasters, adversarial attacks.

Every function takes a run folder (or a checkpoint) and checks its values before any work: counts are positive
and bounded, seeds non-negative, T small enough to fit in memory, output folders writable. A run's own data is
read only if its files still have the content the run was made from (inputs.json).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spiketext.checkpoint import checkpoint_exists
from spiketext.config import (
    CHECKPOINTS,
    MAX_REPEATS,
    Costs,
    DataConfig,
    RunConfig,
    Sample,
    VictimMode,
    VictimName,
    choices,
)
from spiketext.data.corpus import Corpus
from spiketext.data.load import digests_differ, input_digests, load_corpus
from spiketext.energy import count_energy
from spiketext.energy_files import write_energy
from spiketext.errors import SpiketextError
from spiketext.inference import ModelBundle, load_bundle
from spiketext.inference import classify as classify_texts
from spiketext.io import atomic_write, check_writable, read_json_object
from spiketext.models.spiking import memory_bytes
from spiketext.runs import data_of, resolve_model_path, run_folder_of
from spiketext.runtime import autocast_dtype, check_memory, evaluation_seed, generator
from spiketext.viz import raster_figure, save_figure


def load_model(path: str | Path, name: str = "snn_finetuned", cache_dir: str | Path | None = None) -> ModelBundle:
    """Load a checkpoint, or a run folder's checkpoint `name` (default: its fine-tuned SNN)."""
    cache = Path(cache_dir) if cache_dir else DataConfig(dataset="sst2").resolved_cache_dir()
    return load_bundle(resolve_model_path(path, name), cache)


def classify(model: ModelBundle, texts: list[str], seed: int = 0, num_steps: int | None = None) -> list[dict]:
    """Classify raw strings in batches; the same path `spiketext predict` uses."""
    _positive(num_steps, "num_steps")
    _seed(seed)
    _check_steps(model, num_steps, min(len(texts), 256))
    return classify_texts(model, texts, seed=seed, num_steps=num_steps)


def _positive(value: int | None, name: str, most: int | None = None) -> None:
    if value is not None and value < 1:
        raise SpiketextError(f"{name} {value}: must be a positive integer (>= 1)")
    if value is not None and most is not None and value > most:
        raise SpiketextError(f"{name} {value}: at most {most:,}; lower it")


def _seed(seed: int | None) -> None:
    if seed is not None and seed < 0:
        raise SpiketextError(f"seed {seed}: must be >= 0")


def _check_steps(bundle: ModelBundle, num_steps: int | None, batch: int) -> None:
    """Refuse a T whose inference cannot fit, before allocating (one line with the estimate); without --num-steps
    the checkpoint's own T is checked (a damaged or hostile checkpoint may name any)."""
    if bundle.kind != "snn":
        return
    T = num_steps or bundle.num_steps or 1
    what = f"T = {T:,}" if num_steps else f"the checkpoint's own T = {T:,} (snn.num_steps in {bundle.path}.json)"
    m, f = bundle.model, bundle.featurizer
    need = memory_bytes(f.table.shape[1], m.num_filters, m.kernel_sizes, f.max_len, batch, T, training=False)
    check_memory(need, torch.device("cpu"), f"{what} with a batch of {batch}", "pass a smaller --num-steps")


def _run_corpus(path: str | Path, data: DataConfig | None) -> tuple[Corpus, RunConfig | None]:
    """The corpus to evaluate on: `data`, else the run's own (whose files must still have the run's content)."""
    given = data is not None
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


def _split(corpus: Corpus, split: str):
    if split not in corpus.splits:
        raise SpiketextError(f"split {split!r}: choose train, dev or test")
    return corpus.splits[split]


def evaluate(
    path: str | Path,
    data: DataConfig | None = None,
    split: str = "test",
    repeats: int = 1,
    seed: int = 0,
    num_steps: int | None = None,
    model: str = "snn_finetuned",
) -> dict:
    """Accuracy of a saved model on a split. Data: `data`, else the run folder's own configuration.

    Texts go through the checkpoint's tokenizer and vocabulary, exactly as `predict` does.
    """
    _positive(repeats, "repeats", MAX_REPEATS)
    _positive(num_steps, "num_steps")
    _seed(seed)
    bundle = load_model(path, model)
    _check_steps(bundle, num_steps, 256)
    corpus, _ = _run_corpus(path, data)
    part = _split(corpus, split)
    if corpus.labels != bundle.labels:
        raise SpiketextError(f"labels of the data {corpus.labels} differ from the model's {bundle.labels}")
    draws = repeats if bundle.kind == "snn" else 1
    accs = []
    for r in range(draws):
        preds = [p["class_id"] for p in classify_texts(bundle, part.texts, seed=seed + r, num_steps=num_steps)]
        accs.append(float(np.mean(np.array(preds) == part.labels)))
    return {
        "model": bundle.path,
        "kind": bundle.kind,
        "split": split,
        "size": len(part.texts),
        "acc": float(np.mean(accs)),
        "std": float(np.std(accs)),
        "accs": accs,
        "seeds": [seed + r for r in range(draws)] if bundle.kind == "snn" else None,
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
    data: DataConfig | None = None,
    split: str = "test",
    seed: int | None = None,
    num_steps: int | None = None,
    costs: str = "fp32",
    out: str | Path | None = None,
    batch_size: int | None = None,
    precision: str | None = None,
    save_spikes: str | Path | None = None,
    model: str = "snn_finetuned",
) -> dict:
    """Per-layer operation counts and energy of a saved SNN and its CNN on a split (texts in file order, one
    seeded Bernoulli draw); with `out`, also energy.json / .md / .png there.

    Inside a run folder the defaults are the run's own (data, batch size, precision, and the seed of its first
    test draw), so the count equals the one `spiketext run` stored; elsewhere seed 0, batch 256, precision auto.
    A recount with other settings is named after them (e.g. energy_int8_T4.json), never over the run's own.
    """
    _positive(num_steps, "num_steps")
    _positive(batch_size, "batch_size")
    _seed(seed)
    if costs not in choices(Costs):
        raise SpiketextError(f"energy costs {costs!r}: choose one of {', '.join(choices(Costs))}")
    bundle = load_model(path, model)
    if bundle.kind != "snn":
        raise SpiketextError(f"{path}: energy needs an SNN checkpoint (snn_finetuned or snn_converted)")
    corpus, cfg = _run_corpus(path, data)
    run_seed = evaluation_seed("test", cfg.seed) if cfg is not None else 0
    run_batch = cfg.eval_batch_size if cfg is not None else 256
    run_precision = cfg.precision if cfg is not None else "auto"
    seed = run_seed if seed is None else seed
    batch_size = batch_size or run_batch
    precision = precision or run_precision
    T = num_steps or bundle.num_steps
    _check_steps(bundle, T, batch_size)
    texts = _split(corpus, split).texts
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


@torch.no_grad()
def raster(model: ModelBundle, text: str, path: str | Path, seed: int = 0, num_steps: int | None = None) -> dict:
    """Spike raster PNG of one sentence through every layer of an SNN; returns per-layer spike counts."""
    if model.kind != "snn":
        raise SpiketextError("a raster needs an SNN checkpoint (snn_converted or snn_finetuned)")
    if not text.strip():
        raise SpiketextError("text is empty; give some words to classify")
    _positive(num_steps, "num_steps")
    _seed(seed)
    _check_steps(model, num_steps, 1)
    check_writable(Path(path).parent, "raster folder")
    x = model.featurizer.encode([text])
    _, layers = model.model.class_scores(x, num_steps or model.num_steps, generator(seed), record=True)
    layers = {k: v[:, 0] for k, v in layers.items() if k != "output_current"}  # batch of one -> [T, ...]
    save_figure(raster_figure(layers, title=text, labels=model.labels), path)
    return {k: int(v.sum()) for k, v in layers.items()}


# --- attacks -------------------------------------------------------------------------------------------------------


def attack(
    path: str | Path,
    name: str = "textfooler",
    n: int = 1000,
    sample: str = "first",
    seed: int = 0,
    mode: str = "expected",
    draws: int = 8,
    data: DataConfig | None = None,
    out: str | Path | None = None,
    models: tuple[str, ...] = ("cnn", "snn"),
    snn_model: str = "snn_finetuned",
    eval_draws: int = 15,
    similarity: str = "auto",
    mlm: str | Path | None = None,
    recheck: bool = True,
    overwrite: bool = False,
    confirm: tuple[int, int] | None = None,
    noise_steps: int | None = None,
    same_set: bool = True,
    legacy: bool = False,
) -> dict:
    """Attack a run's victims (`models`, config.VictimName: the tailored CNN, its SNN `snn_model`, and the controls
    cnn-noise, cnn-noise-matched, snn-regular) on N test examples (the first N in file order, or a seeded sample);
    see `spiketext.attacks`. A stochastic victim is attacked as deployed: `mode` expected scores each query by the
    mean over `draws` fresh draws, and every victim is judged on `eval_draws` fresh evaluation draws (majority).
    `same_set`: every victim is attacked on the examples all of them classify correctly (and compared with the
    CNN there: McNemar's exact test, bootstrap 95% intervals); otherwise each on its own clean-correct examples.
    `confirm` (k, m): the adaptive attacker, which keeps the most damaging flip that k of m fresh draws confirm.
    `noise_steps`: the cnn-noise control's Bernoulli steps (default: the SNN's T). `legacy`: the earlier protocol
    (each victim on its own examples, an example the search's own score gets wrong left unattacked, no
    confirmation). `similarity`: auto (MiniLM where the attacks extra is installed, else word vectors) | minilm |
    word-vectors. `mlm`: the masked LM folder BERT-Attack needs. `recheck`: in expected mode the search asks its
    flips again before accepting them. With `out`: attack_NAME.json / .md / .csv (every example) / .png there,
    never replacing a finished attack's files unless `overwrite`. The report names each model's checkpoint."""
    from spiketext.attacks import ATTACKS, Victim, WordSpace, run_attack, summarize, write_report
    from spiketext.attacks.recipes import NEEDS_MLM
    from spiketext.attacks.report import check_no_report
    from spiketext.attacks.similarity import load_similarity
    from spiketext.attacks.victim import deterministic_twin
    from spiketext.stats import compare_paired

    if name not in ATTACKS:
        raise SpiketextError(f"attack {name!r}: choose one of {', '.join(ATTACKS)}")
    if sample not in choices(Sample):
        raise SpiketextError(f"sample {sample!r}: 'first' (file order, the paper's protocol) or 'random' (seeded)")
    if mode not in choices(VictimMode):
        raise SpiketextError(f"mode {mode!r}: choose one of {', '.join(choices(VictimMode))}")
    unknown = [m for m in models if m not in choices(VictimName)]
    if unknown or not models or len(set(models)) != len(models):
        raise SpiketextError(
            f"victims {', '.join(models) or '(none)'}: name each once, from {', '.join(choices(VictimName))}"
        )
    if legacy and confirm is not None:
        raise SpiketextError("--legacy-protocol attacks without confirmation: drop --confirm, or the legacy flag")
    _positive(n, "n")
    _positive(draws, "draws", MAX_REPEATS)
    _positive(eval_draws, "eval_draws", MAX_REPEATS)
    _positive(noise_steps, "noise_steps", 10_000)
    if eval_draws % 2 == 0:
        raise SpiketextError(f"--eval-draws {eval_draws}: an odd number, so that a majority exists")
    _seed(seed)
    if snn_model not in CHECKPOINTS or snn_model == "cnn":
        raise SpiketextError(f"--model {snn_model!r}: choose an SNN checkpoint: {', '.join(CHECKPOINTS[:-1])}")
    if name == "bertattack" and mlm is None:
        raise SpiketextError(NEEDS_MLM)
    lm = None
    if mlm is not None:
        from spiketext.attacks.mlm import load_mlm

        lm = load_mlm(mlm)
    bundles = {"cnn": load_model(path, "cnn"), "snn": load_model(path, snn_model)}
    names = {"cnn": "cnn", "snn": snn_model}
    if bundles["cnn"].kind == "snn" or bundles["snn"].kind != "snn":
        raise SpiketextError(f"{path}: an attack needs a run folder with both the CNN and an SNN")
    vectors = bundles["cnn"].featurizer.vectors
    if vectors is None:
        raise SpiketextError(f"{path}: attacks need the pretrained vectors ({bundles['cnn'].featurizer.vectors_name})")
    if out is not None:
        check_writable(out)
        if not overwrite:
            check_no_report(out, name)
    corpus, _ = _run_corpus(path, data)
    split = _split(corpus, "test")
    order = np.arange(len(split.texts))
    if sample == "random":
        order = np.sort(np.random.default_rng(seed).choice(len(order), min(n, len(order)), replace=False))
    order = order[:n]
    featurizer = bundles["cnn"].featurizer
    examples = [(int(i), featurizer.tokenize([split.texts[i]])[0], int(split.labels[i])) for i in order]
    space = WordSpace(vectors.words, np.asarray(vectors.vectors, dtype=np.float32))
    sim, why = load_similarity(similarity, space)
    dtype = autocast_dtype("auto", torch.device("cpu"))
    common = dict(mode=mode, seed=seed, draws=draws, dtype=dtype, eval_draws=eval_draws, recheck=recheck)
    T = bundles["snn"].num_steps or 1
    report: dict[str, Any] = {
        "attack": name,
        "n": len(examples),
        "sample": sample,
        "seed": seed,
        "victims": list(models),
        "protocol": "legacy (each victim on its own examples, no confirmation)" if legacy else "same examples",
        "substitutes": space.synonym_source if name in ("pwws", "pso") else ("masked LM" if lm else None),
        "similarity": sim.name + (f" (fallback: {why})" if why else ""),
        "constraints": "≤ 10% of words (at least 1), stop words and non-alphabetic tokens kept, cosine ≥ 0.8 of "
        "the whole sentence's embedding (not TextFooler's windowed Universal Sentence Encoder check)",
        "substitute_pos_check": space.pos_check,
    }
    victims: dict[str, Victim] = {}
    for key in models:
        if key in ("cnn", "snn"):
            victims[key] = Victim(bundles[key], confirm=confirm, **common)  # type: ignore[arg-type]
        elif key == "cnn-noise":
            victims[key] = Victim(bundles["cnn"], **_noise_of(bundles["snn"], noise_steps), confirm=confirm, **common)  # type: ignore[arg-type]
        elif key == "snn-regular":
            twin = deterministic_twin(bundles["snn"])
            victims[key] = Victim(twin, confirm=confirm, **common)  # type: ignore[arg-type]
            names[key] = f"{snn_model} ({twin.model.input_code} code, no input noise)"
        else:  # cnn-noise-matched
            report["noise_match"] = match_noise(bundles["cnn"], bundles["snn"], corpus, seed, T)
            noise = {k: report["noise_match"][k] for k in ("noise_steps", "input_noise", "noise_levels")}
            victims[key] = Victim(bundles["cnn"], **noise, confirm=confirm, **common)  # type: ignore[arg-type]
        names.setdefault(key, "cnn")
    chosen, clean = examples, {}
    if same_set and not legacy and len(victims) > 1:
        from spiketext.attacks.victim import verdict

        # each victim's verdict on every original, computed once: it picks the shared examples and is reused as
        # the attack's clean verdict
        clean = {key: {i: verdict(v, tokens, i) for i, tokens, _ in examples} for key, v in victims.items()}
        correct = {key: {i for i, _, label in examples if np.mean(clean[key][i] == label) > 0.5} for key in victims}
        both = set.intersection(*correct.values())
        chosen = [e for e in examples if e[0] in both]
        report["example_set"] = {
            "rule": "the examples every victim classifies correctly (majority of its evaluation draws)",
            "common": len(chosen),
            "clean_correct": {k: len(v) for k, v in correct.items()},
        }
    rows, outcomes, adversarial = [], {}, {}
    for key, victim in victims.items():
        t0 = time.perf_counter()
        results = run_attack(
            name, victim, space, chosen, seed, similarity=sim, mlm=lm, skip_on_score=legacy, clean=clean.get(key)
        )
        summary = summarize(results)
        summary.update(seconds=time.perf_counter() - t0, victim=victim.describe(), checkpoint=names[key])
        report[key] = summary
        outcomes[key] = {r.index: r.success for r in results}
        adversarial[key] = {r.index: (r.perturbed, r.label) for r in results if r.success}
        rows += [(f"{key}:{names[key]}", r) for r in results]
    if "cnn" in victims and len(victims) > 1 and not legacy:
        report["transfer"] = transfer(adversarial["cnn"], {k: v for k, v in victims.items() if k != "cnn"})
    if "example_set" in report and "cnn" in victims:
        ids = [e[0] for e in chosen]
        base = np.array([outcomes["cnn"][i] for i in ids], dtype=bool)
        report["comparisons"] = {
            key: dataclasses.asdict(compare_paired(base, np.array([outcomes[key][i] for i in ids], dtype=bool)))
            for key in victims
            if key != "cnn"
        }
    if out is not None:
        report["files"] = write_report(report, rows, bundles["cnn"].labels, out)
    return report


def transfer(adversarial: dict[int, tuple[list[str], int]], victims: dict[str, Any]) -> dict[str, dict]:
    """The CNN's successful adversarial examples replayed on every other victim: the share each victim's own
    evaluation draws (majority) misclassify. {index: (perturbed tokens, label)} -> {victim: {n, fooled, rate}}."""
    from spiketext.attacks.recipes import split_tokens
    from spiketext.attacks.victim import verdict

    out = {}
    for key, victim in victims.items():
        fooled = sum(
            float(np.mean(verdict(victim, split_tokens(tokens), i) != label)) > 0.5
            for i, (tokens, label) in adversarial.items()
        )
        out[key] = {
            "n": len(adversarial),
            "fooled": int(fooled),
            "rate": fooled / len(adversarial) if adversarial else 0.0,
        }
    return out


def _noise_of(snn: ModelBundle, noise_steps: int | None) -> dict[str, Any]:
    """The cnn-noise control's Victim settings: the SNN's own input noise without its spiking."""
    model = snn.model
    if model.input_code == "bernoulli" and model.input_noise:
        raise SpiketextError("cnn-noise: a Bernoulli SNN with input noise as well has no noisy-CNN control; drop it")
    if model.input_noise:  # a deterministic code, dithered: the CNN reads the same dithered, quantized values
        return {"input_noise": model.input_noise, "noise_levels": snn.num_steps or 1}
    return {"noise_steps": noise_steps or snn.num_steps or 1}


@torch.no_grad()
def match_noise(cnn: ModelBundle, snn: ModelBundle, corpus: Corpus, seed: int, max_steps: int) -> dict[str, Any]:
    """The noise-matched control, chosen on dev: the input noise at which the CNN's dev accuracy is closest to the
    SNN's recorded dev accuracy (its checkpoint's result). For a Bernoulli SNN the Bernoulli steps n (1 .. the
    SNN's T) of a CNN fed the mean of n input draws; for a dithered deterministic code the σ of a CNN fed the
    dithered input quantized to T levels. Each candidate is scored by the mean accuracy of 3 seeded draws."""
    from spiketext.encoding import bernoulli_encode, dithered_input

    snn_dev = (snn.meta.get("result") or {}).get("dev_acc")
    if not isinstance(snn_dev, (int, float)):
        raise SpiketextError(f"{snn.path}: no recorded dev accuracy to match the noise to (not a run's checkpoint)")
    dev = _split(corpus, "dev")
    x = cnn.featurizer.encode(list(dev.texts))  # [N, D, L]
    labels = torch.as_tensor(dev.labels)
    dithered = bool(snn.model.input_noise) and snn.model.input_code != "bernoulli"
    domain = getattr(cnn.model, "input_domain", "positive")
    tried: dict[Any, float] = {}
    if dithered:  # σ from 0.05 to 1 (more noise, lower accuracy)
        candidates: list[Any] = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0]
    else:
        candidates = sorted(
            {s for s in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128) if s <= max_steps} | {max_steps}
        )
    for i, level in enumerate(candidates):
        accs = []
        for r in range(3):
            gen = generator(seed, 0xD0E5, i if dithered else level, r)
            if dithered:
                rate = dithered_input(x, level, max_steps, domain, gen)
            else:
                rate = bernoulli_encode(x, level, gen, torch.float32, shared_noise=False).mean(0)
            accs.append(float((cnn.model(rate).argmax(-1) == labels).float().mean()))
        tried[level] = float(np.mean(accs))
    # ties: the least noise (fewest steps are the most noise)
    best = min(tried, key=lambda s: (abs(tried[s] - snn_dev), s if dithered else -s))
    return {
        "noise_steps": 0 if dithered else best,
        "input_noise": best if dithered else 0.0,
        "noise_levels": max_steps if dithered else 0,
        "dev_acc": tried[best],
        "snn_dev_acc": float(snn_dev),
        "tried": {s: round(100 * a, 2) for s, a in tried.items()},
    }


# --- NIR export ----------------------------------------------------------------------------------------------------


@torch.no_grad()
def export_nir(
    path: str | Path,
    out: str | Path,
    model: str = "snn_finetuned",
    lossy: bool = False,
    data: DataConfig | None = None,
    split: str = "test",
    n: int | None = None,
    seed: int = 0,
    batch_size: int = 64,
) -> dict:
    """Write a saved SNN as a NIR graph to `out` (see `spiketext.nir_export`), read it back with `nir`, run it with
    nirtorch, and compare it with spiketext's own SNN on the same input spikes (`n` sentences of `split`, default
    all; 0 skips the check): spikes that differ per layer, and both accuracies. Reset by subtraction or a raised
    initial membrane export only with `lossy` (as reset-to-zero IF neurons started at 0); the report then gives
    the accuracy change. Returns the report; `check.equal` is False where an exact export's spikes differ."""
    from spiketext.nir_export import _nir, compare_layers, graph_metadata, lossy_changes, nir_module, run_nir, to_nir

    if n is not None and n < 0:
        raise SpiketextError(f"--check {n}: the number of sentences to check must be >= 0 (0 skips the check)")
    _positive(batch_size, "batch_size")
    _seed(seed)
    nir = _nir()  # the extra is named with its install command before any work
    bundle = load_model(path, model)
    if bundle.kind != "snn":
        raise SpiketextError(f"{path}: NIR export needs an SNN checkpoint (snn_finetuned or snn_converted)")
    _check_steps(bundle, None, batch_size)
    snn, feat = bundle.model, bundle.featurizer
    out = Path(out)
    check_writable(out.parent, "NIR output folder")
    changes = lossy_changes(snn)
    T = bundle.num_steps
    meta = {
        "format": "spiketext NIR export 1",
        "source": bundle.path,
        "labels": bundle.labels,
        "neurons_per_class": snn.num_outputs // snn.num_classes,
        "num_steps": T,
        "max_len": feat.max_len,
        "input_code": snn.input_code,
        "input_domain": snn.input_domain,
        "input_scale": snn.input_scale,
        "readout": snn.readout_mode,
        "exact": not changes,
        "changes": changes,
        "input": "spikes [D, L] per step: the input code applied to the checkpoint's e⁺ embeddings (spiketext.encode)",
        "class_scores": "class c: the sum over T steps of outputs [n·c, n·c + n)",
    }
    graph = to_nir(snn, feat.max_len, lossy, meta)
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
    }
    if n == 0:
        return report
    corpus, _ = _run_corpus(path, data)
    part = _split(corpus, split)
    if corpus.labels != bundle.labels:
        raise SpiketextError(f"labels of the data {corpus.labels} differ from the model's {bundle.labels}")
    texts, labels = part.texts[:n] if n else part.texts, np.asarray(part.labels[:n] if n else part.labels)
    module = nir_module(back)
    mismatches: dict[str, int] = {}
    compared = 0
    preds_ours, preds_nir = [], []
    for b, i in enumerate(range(0, len(texts), batch_size)):
        spikes = snn.encode(feat.encode(texts[i : i + batch_size]), T, generator(seed, b))  # [T, B, D, L]
        ours, layers = snn(spikes, record=True)
        theirs, nir_layers = run_nir(module, spikes, record=True)
        differ = compare_layers(layers, nir_layers, snn.kernel_sizes)
        differ["output"] = int((ours.float() != theirs.float()).sum())  # spikes, or currents (membrane readout)
        for layer, count in differ.items():
            mismatches[layer] = mismatches.get(layer, 0) + count
        compared += sum(v.numel() for k, v in layers.items() if k != "input")
        preds_ours.append(snn.readout(ours).sum(0).argmax(-1))
        preds_nir.append(snn.readout(theirs).sum(0).argmax(-1))
    p_ours, p_nir = torch.cat(preds_ours).numpy(), torch.cat(preds_nir).numpy()
    acc_ours, acc_nir = float(np.mean(p_ours == labels)), float(np.mean(p_nir == labels))
    report["check"] = {
        "split": split,
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
    return report
