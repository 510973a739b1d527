"""Attacking a saved run: its CNN, its SNN and the controls (`VICTIMS`) on one example set, compared
pairwise with the CNN, the CNN's adversarial examples replayed on the others; the noise-matched control chosen on
dev. The attacks themselves live in `spiketext.attacks`."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spiketext.core.codes import input_code
from spiketext.core.frontend import FrontEnd
from spiketext.core.inference import ModelBundle
from spiketext.core.registry import Registry
from spiketext.core.runtime import autocast_dtype, generator
from spiketext.data.corpus import Corpus
from spiketext.errors import SpiketextError
from spiketext.io import check_writable, writer_lock
from spiketext.runs.saved import load_model, run_corpus, run_vectors, split_of
from spiketext.settings.config import DataConfig
from spiketext.settings.verbs import AttackConfig, with_settings


def attack(
    path: str | Path,
    config: AttackConfig | None = None,
    data: DataConfig | None = None,
    out: str | Path | None = None,
    **settings: Any,
) -> dict:
    """Attack a run's victims (`config.victims`, registered in `VICTIMS`: the tailored CNN, its SNN `config.model`, and
    the controls cnn-noise, cnn-noise-matched, snn-regular) on N test examples (the first N in file order, or a
    seeded sample); see `spiketext.attacks` and `verbs.AttackConfig` (or pass its fields as keywords:
    `attack(run, attack="pwws", n=200)`). A stochastic victim is attacked as deployed: mode expected scores each
    query by the mean over `draws` fresh draws, and every victim is judged on `eval_draws` fresh evaluation draws
    (majority). `same_set`: every victim is attacked on the examples all of them classify correctly (and compared
    with the CNN there: McNemar's exact test, bootstrap 95% intervals); otherwise each on its own clean-correct
    examples. `confirm` (k, m): the adaptive attacker, which keeps the most damaging flip that k of m fresh draws
    confirm. With `out`: attack_NAME.json / .md / .csv (every example) / .png
    there, never replacing a finished attack's files unless `overwrite`. The report names each model's checkpoint."""
    c: AttackConfig = with_settings(config, AttackConfig, settings)
    # the report folder's one writer for the whole attack: a second attack into it is refused at once, and
    # "finished" is checked under the lock, so two attacks never both write (the files are replaced atomically)
    with writer_lock(out) if out is not None else contextlib.nullcontext():
        return _attack(path, c, data, out)


def check_names(c: AttackConfig) -> None:
    """The attack's settings that name components, against their registries, before any work."""
    from spiketext.attacks import RECIPES
    from spiketext.attacks.similarity import SIMILARITIES
    from spiketext.runs.folder import CHECKPOINTS

    RECIPES.check(c.attack, "--attack")
    SIMILARITIES.check(c.similarity, "--similarity")
    for victim in c.victims:
        VICTIMS.check(victim, "--victims")
    if c.model not in CHECKPOINTS[:-1]:
        raise SpiketextError(f"--model {c.model!r}: choose an SNN checkpoint: {', '.join(CHECKPOINTS[:-1])}")


def _attack(path: str | Path, c: AttackConfig, data: DataConfig | None, out: str | Path | None) -> dict:
    from spiketext.attacks import WordSpace, write_report
    from spiketext.attacks.recipes import NEEDS_MLM
    from spiketext.attacks.report import check_no_report
    from spiketext.attacks.similarity import load_similarity

    check_names(c)
    if c.attack == "bertattack" and c.mlm is None:
        raise SpiketextError(NEEDS_MLM)
    lm = None
    if c.mlm is not None:
        from spiketext.attacks.mlm import load_mlm

        lm = load_mlm(c.mlm)
    bundles = {"cnn": load_model(path, "cnn", strict=c.strict), "snn": load_model(path, c.model, strict=c.strict)}
    if bundles["cnn"].kind == "snn" or bundles["snn"].kind != "snn":
        raise SpiketextError(f"{path}: an attack needs a run folder with both the CNN and an SNN")
    vectors = run_vectors(bundles["cnn"], path)
    if out is not None:
        check_writable(out)
        if not c.overwrite:
            check_no_report(out, c.attack)
    corpus, _ = run_corpus(path, data)
    examples = _examples(corpus, bundles["cnn"], c)
    space = WordSpace(vectors.words, np.asarray(vectors.vectors, dtype=np.float32))
    language = bundles["cnn"].featurizer.language  # the model's: a corpus of own files may not name one
    sim, why = load_similarity(c.similarity, space, language)
    report = _report_header(
        c,
        examples,
        space,
        sim.name + (f" (fallback: {why})" if why else ""),
        lm,
        language,
    )
    victims, names = _victims(bundles, c, corpus, report)
    chosen, clean = examples, {}
    if c.same_set and len(victims) > 1:
        chosen, clean = _shared_examples(victims, examples, report)
    rows, outcomes, adversarial = _run_victims(c, victims, names, space, chosen, sim, lm, clean, report)
    if "cnn" in victims and len(victims) > 1:
        report["transfer"] = transfer(adversarial["cnn"], {k: v for k, v in victims.items() if k != "cnn"})
    if "example_set" in report and "cnn" in victims:
        report["comparisons"] = _comparisons(outcomes, [e[0] for e in chosen])
    if out is not None:
        report["files"] = write_report(report, rows, bundles["cnn"].labels, out)
    return report


def _report_header(
    c: AttackConfig,
    examples: list,
    space: Any,
    similarity: str,
    lm: Any,
    language: str,
) -> dict:
    """What the attack was: its settings, constraints and word resources (the report's first keys)."""
    return {
        "attack": c.attack,
        "n": len(examples),
        "sample": c.sample,
        "seed": c.seed,
        "victims": list(c.victims),
        "protocol": "same examples",
        "substitutes": space.synonym_source if c.attack in ("pwws", "pso") else ("masked LM" if lm else None),
        "similarity": similarity,
        "constraints": "≤ 10% of words (at least 1), stop words and non-alphabetic tokens kept, cosine ≥ 0.8 of "
        "the whole sentence's embedding (not TextFooler's windowed Universal Sentence Encoder check)"
        + (
            "; Chinese: no stop-word list ships offline, so only punctuation and digits are kept"
            if language == "zh"
            else ""
        ),
        "substitute_pos_check": space.pos_check,
    }


def _run_victims(
    c: AttackConfig,
    victims: dict,
    names: dict,
    space: Any,
    chosen: list,
    sim: Any,
    lm: Any,
    clean: dict,
    report: dict,
) -> tuple[list, dict, dict]:
    """Each victim attacked on `chosen`: its summary into `report`, every example's row, who was fooled."""
    from spiketext.attacks import run_attack, summarize

    rows: list = []
    outcomes: dict = {}
    adversarial: dict = {}
    for key, victim in victims.items():
        t0 = time.perf_counter()
        results = run_attack(
            c.attack, victim, space, chosen, c.seed, similarity=sim, mlm=lm,
            clean=clean.get(key),
        )  # fmt: skip
        summary = summarize(results)
        summary.update(
            seconds=time.perf_counter() - t0,
            victim=victim.describe(),
            checkpoint=names[key],
        )
        report[key] = summary
        outcomes[key] = {r.index: r.success for r in results}
        adversarial[key] = {r.index: (r.perturbed, r.label) for r in results if r.success}
        rows += [(f"{key}:{names[key]}", r) for r in results]
    return rows, outcomes, adversarial


def _examples(corpus: Corpus, cnn: ModelBundle, c: AttackConfig) -> list[tuple[int, list[str], int]]:
    """The attacked test examples (index, tokens, label): the first N in file order, or a seeded sample."""
    split = split_of(corpus, "test")
    order = np.arange(len(split.texts))
    if c.sample == "random":
        order = np.sort(np.random.default_rng(c.seed).choice(len(order), min(c.n, len(order)), replace=False))
    order = order[: c.n]
    return [(int(i), cnn.featurizer.tokenize([split.texts[i]])[0], int(split.labels[i])) for i in order]


# Who an attack targets (--victims): the CNN, the SNN, and the controls that separate spiking from input noise: the
# CNN fed the SNN's input noise (same code and T), the same CNN at a noise level whose dev accuracy matches the
# SNN's, and the SNN's weights with a deterministic code. A builder: (bundles, config, corpus, report, the Victim
# settings every victim shares) -> (the victim, the checkpoint name its report gives).
VictimBuilder = Callable[[dict, AttackConfig, Corpus, dict, dict], tuple[Any, str]]
VICTIMS: Registry[VictimBuilder] = Registry("attack victim")


@VICTIMS.register("cnn")
def _cnn_victim(bundles: dict, c: AttackConfig, corpus: Corpus, report: dict, common: dict) -> tuple[Any, str]:
    from spiketext.attacks import Victim

    return Victim(bundles["cnn"], **common), "cnn"


@VICTIMS.register("snn")
def _snn_victim(bundles: dict, c: AttackConfig, corpus: Corpus, report: dict, common: dict) -> tuple[Any, str]:
    from spiketext.attacks import Victim

    return Victim(bundles["snn"], **common), c.model


@VICTIMS.register("cnn-noise")
def _noisy_cnn(bundles: dict, c: AttackConfig, corpus: Corpus, report: dict, common: dict) -> tuple[Any, str]:
    from spiketext.attacks import Victim

    return Victim(bundles["cnn"], noise=_noise_of(bundles["snn"], c.noise_steps), **common), "cnn"


@VICTIMS.register("cnn-noise-matched")
def _matched_cnn(bundles: dict, c: AttackConfig, corpus: Corpus, report: dict, common: dict) -> tuple[Any, str]:
    from spiketext.attacks import Victim

    report["noise_match"] = match_noise(bundles["cnn"], bundles["snn"], corpus, c.seed, bundles["snn"].num_steps or 1)
    m = report["noise_match"]
    noise = FrontEnd(_domain(bundles["cnn"]), m["input_noise"], m["noise_levels"], m["noise_steps"])
    return Victim(bundles["cnn"], noise=noise, **common), "cnn"


@VICTIMS.register("snn-regular")
def _snn_twin(bundles: dict, c: AttackConfig, corpus: Corpus, report: dict, common: dict) -> tuple[Any, str]:
    from spiketext.attacks import Victim
    from spiketext.attacks.victim import deterministic_twin

    twin = deterministic_twin(bundles["snn"])
    return Victim(twin, **common), f"{c.model} ({twin.model.input_code} code, no input noise)"


def _victims(
    bundles: dict[str, ModelBundle],
    c: AttackConfig,
    corpus: Corpus,
    report: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every victim `c.victims` names, and the checkpoint name each reports; the noise match goes into `report`."""
    dtype = autocast_dtype("auto", torch.device("cpu"))
    common = dict(mode=c.mode, seed=c.seed, draws=c.draws, dtype=dtype, eval_draws=c.eval_draws, recheck=c.recheck,
                  confirm=c.confirm)  # fmt: skip
    victims: dict[str, Any] = {}
    names: dict[str, str] = {}
    for key in c.victims:
        victims[key], names[key] = VICTIMS.get(key, "--victims")(bundles, c, corpus, report, common)
    return victims, names


def _shared_examples(victims: dict[str, Any], examples: list, report: dict[str, Any]) -> tuple[list, dict]:
    """The examples every victim classifies correctly (majority of its evaluation draws), and each victim's
    verdict on every original: computed once, it picks the shared examples and is reused as the clean verdict."""
    from spiketext.attacks.victim import verdict

    clean = {key: {i: verdict(v, tokens, i) for i, tokens, _ in examples} for key, v in victims.items()}
    correct = {key: {i for i, _, label in examples if np.mean(clean[key][i] == label) > 0.5} for key in victims}
    both = set.intersection(*correct.values())
    report["example_set"] = {
        "rule": "the examples every victim classifies correctly (majority of its evaluation draws)",
        "common": len(both),
        "clean_correct": {k: len(v) for k, v in correct.items()},
    }
    return [e for e in examples if e[0] in both], clean


def _comparisons(outcomes: dict[str, dict[int, bool]], ids: list[int]) -> dict[str, dict]:
    """Each victim against the CNN on the shared examples: McNemar's exact test and a bootstrap 95% interval."""
    from spiketext.stats import compare_paired

    base = np.array([outcomes["cnn"][i] for i in ids], dtype=bool)
    return {
        key: dataclasses.asdict(compare_paired(base, np.array([o[i] for i in ids], dtype=bool)))
        for key, o in outcomes.items()
        if key != "cnn"
    }


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


def _domain(bundle: ModelBundle) -> str:
    return getattr(bundle.model, "input_domain", "positive")


def _noise_of(snn: ModelBundle, noise_steps: int | None) -> FrontEnd:
    """The cnn-noise control's front-end: the SNN's own input noise without its spiking."""
    model = snn.model
    if not input_code(model.input_code).deterministic and model.snn.input_noise:
        raise SpiketextError("cnn-noise: a Bernoulli SNN with input noise as well has no noisy-CNN control; drop it")
    if model.snn.input_noise:  # a deterministic code, dithered: the CNN reads the same dithered, quantized values
        return FrontEnd(_domain(snn), noise=model.snn.input_noise, levels=snn.num_steps or 1)
    return FrontEnd(_domain(snn), rate_steps=noise_steps or snn.num_steps or 1)


@torch.no_grad()
def match_noise(cnn: ModelBundle, snn: ModelBundle, corpus: Corpus, seed: int, max_steps: int) -> dict[str, Any]:
    """The noise-matched control, chosen on dev: the input noise at which the CNN's dev accuracy is closest to the
    SNN's recorded dev accuracy (its checkpoint's result). For a Bernoulli SNN the Bernoulli steps n (1 .. the
    SNN's T) of a CNN fed the mean of n input draws; for a dithered deterministic code the σ of a CNN fed the
    dithered input quantized to T levels. Each candidate is scored by the mean accuracy of 3 seeded draws."""

    snn_dev = (snn.meta.get("result") or {}).get("dev_acc")
    if not isinstance(snn_dev, (int, float)):
        raise SpiketextError(f"{snn.path}: no recorded dev accuracy to match the noise to (not a run's checkpoint)")
    dev = split_of(corpus, "dev")
    x = cnn.featurizer.encode(list(dev.texts))  # [N, D, L]
    labels = torch.as_tensor(dev.labels)
    dithered = bool(snn.model.snn.input_noise) and input_code(snn.model.input_code).deterministic
    domain = getattr(cnn.model, "input_domain", "positive")
    tried: dict[Any, float] = {}
    if dithered:  # σ from 0.05 to 1 (more noise, lower accuracy)
        candidates: list[Any] = [
            0.05,
            0.1,
            0.15,
            0.2,
            0.25,
            0.3,
            0.4,
            0.5,
            0.6,
            0.8,
            1.0,
        ]
    else:
        candidates = sorted(
            {s for s in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128) if s <= max_steps} | {max_steps}
        )
    for i, level in enumerate(candidates):
        accs = []
        for r in range(3):
            gen = generator(seed, 0xD0E5, i if dithered else level, r)
            front = FrontEnd(domain, level, max_steps) if dithered else FrontEnd(domain, rate_steps=level)
            rate = front.values(x, gen)
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
