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

from spiketext.core.transformer_bundle import TransformerBundle
from spiketext.data.corpus import Corpus
from spiketext.errors import SpiketextError
from spiketext.io import check_writable, read_json_object, writer_lock
from spiketext.runs.saved import load_model, run_corpus, run_vectors, split_of
from spiketext.runs.victims import VICTIMS, victims_of
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
    _refuse_released(path)
    # the report folder's one writer for the whole attack: a second attack into it is refused at once, and
    # "finished" is checked under the lock, so two attacks never both write (the files are replaced atomically)
    with writer_lock(out) if out is not None else contextlib.nullcontext():
        return _attack(path, c, data, out)


def _refuse_released(path: str | Path) -> None:
    """A released model's name: refused before any file is written (its run's CNN or ANN, the attack's reference
    victim, does not ship)."""
    from spiketext.runs.released import RELEASED_DIR, is_released

    if Path(path).exists() or not is_released(str(path)):
        return
    card = read_json_object(RELEASED_DIR / str(path) / "card.json") or {}
    raise SpiketextError(
        f"{path}: a released model ships its spiking network only; an attack compares it with its run's "
        f"{'ANN' if card.get('family') == 'transformer' else 'CNN'}, which does not ship: make the run "
        f"(`{card.get('command', 'spiketext run')}`) and attack its folder"
    )


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
    bundles, vectors, language, tokenize, c = _attacked_models(path, c)
    if out is not None:
        check_writable(out)
        if not c.overwrite:
            check_no_report(out, c.attack)
    corpus, _ = run_corpus(path, data)
    examples = _examples(corpus, tokenize, c)
    space = WordSpace(vectors.words, np.asarray(vectors.vectors, dtype=np.float32))
    sim, why = load_similarity(c.similarity, space, language)
    report = _report_header(
        c,
        examples,
        space,
        sim.name + (f" (fallback: {why})" if why else ""),
        lm,
        language,
    )
    victims, names = victims_of(bundles, c, corpus, report)
    chosen, clean = examples, {}
    if c.same_set and len(victims) > 1:
        chosen, clean = _shared_examples(victims, examples, report)
    rows, outcomes, adversarial = _run_victims(c, victims, names, space, chosen, sim, lm, clean, report)
    ref = next((k for k in REFERENCES if k in victims), None)  # the non-spiking model the others are compared with
    if ref is not None and len(victims) > 1:
        report["transfer"] = transfer(adversarial[ref], {k: v for k, v in victims.items() if k != ref})
    if "example_set" in report and ref is not None:
        report["comparisons"] = _comparisons(outcomes, [e[0] for e in chosen], ref)
    if out is not None:
        labels = next(iter(bundles.values())).labels
        report["files"] = write_report(report, rows, labels, out)
    return report


REFERENCES = ("cnn", "ann")  # the victim every other one is compared with: the TextCNN's CNN, the transformer's ANN
TRANSFORMER_VICTIMS = ("ann", "qann", "snn")


def _attacked_models(path: str | Path, c: AttackConfig) -> tuple[dict, Any, str, Any, AttackConfig]:
    """The run's models an attack may target, the word vectors its substitutes come from, the language, the word
    tokenizer of its examples, and `c` with the family's default victims (a transformer run: ann, qann, snn)."""
    from spiketext.data.tokenize import get_tokenizer
    from spiketext.data.vector_files import load_vectors
    from spiketext.settings.config import DEFAULT_ENGLISH_EMBEDDINGS

    first = load_model(path, "ann" if _transformer_run(path) else "cnn", strict=c.strict)
    if isinstance(first, TransformerBundle):
        if c.victims == AttackConfig().victims:
            c = dataclasses.replace(c, victims=TRANSFORMER_VICTIMS)
        wrong = [v for v in c.victims if v not in TRANSFORMER_VICTIMS]
        if wrong:
            raise SpiketextError(f"--victims {', '.join(wrong)}: a transformer run's victims are ann, qann, snn")
        bundles = {k: first if k == "ann" else load_model(path, k, strict=c.strict) for k in TRANSFORMER_VICTIMS}
        vectors = load_vectors(DEFAULT_ENGLISH_EMBEDDINGS, DataConfig(dataset="sst2").resolved_cache_dir())
        return bundles, vectors, "en", get_tokenizer("en"), c
    bundles = {"cnn": first, "snn": load_model(path, c.model, strict=c.strict)}
    if bundles["cnn"].kind == "snn" or bundles["snn"].kind != "snn":
        raise SpiketextError(f"{path}: an attack needs a run folder with both the CNN and an SNN")
    f = bundles["cnn"].featurizer  # the model's language: a corpus of own files may not name one
    return bundles, run_vectors(bundles["cnn"], path), f.language, lambda t: f.tokenize([t])[0], c


def _transformer_run(path: str | Path) -> bool:
    from spiketext.runs.folder import find_run_config

    cfg = find_run_config(path)
    return cfg is not None and cfg.family == "transformer"


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
        # how the search was made, so a report says it: a stochastic victim's scoring, judging and confirmation
        "search": {
            "mode": c.mode,
            "draws_per_query": c.draws,
            "eval_draws": c.eval_draws,
            "recheck": c.recheck,
            "confirm": f"{c.confirm[0]} of {c.confirm[1]} fresh draws" if c.confirm else None,
            "same_set": c.same_set,
            "budget": "10% of the words, at least 1",
            "judged": "every final sentence, majority of the evaluation draws; one draw beside it",
        },
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


def _examples(
    corpus: Corpus, tokenize: Callable[[str], list[str]], c: AttackConfig
) -> list[tuple[int, list[str], int]]:
    """The attacked test examples (index, tokens, label): the first N in file order, or a seeded sample."""
    split = split_of(corpus, "test")
    order = np.arange(len(split.texts))
    if c.sample == "random":
        order = np.sort(np.random.default_rng(c.seed).choice(len(order), min(c.n, len(order)), replace=False))
    order = order[: c.n]
    return [(int(i), tokenize(split.texts[i]), int(split.labels[i])) for i in order]


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


def _comparisons(outcomes: dict[str, dict[int, bool]], ids: list[int], ref: str = "cnn") -> dict[str, dict]:
    """Each victim against `ref` (the CNN, or the transformer's ANN) on the shared examples: McNemar's exact test
    and a bootstrap 95% interval."""
    from spiketext.stats import compare_paired

    base = np.array([outcomes[ref][i] for i in ids], dtype=bool)
    return {
        key: dataclasses.asdict(compare_paired(base, np.array([o[i] for i in ids], dtype=bool)))
        for key, o in outcomes.items()
        if key != ref
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
