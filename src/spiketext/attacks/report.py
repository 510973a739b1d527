"""What an attack run reports: metrics over examples, the markdown table, every example as CSV, the plot."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from spiketext.attacks.search import AttackResult
from spiketext.errors import SpiketextError
from spiketext.io import atomic_write, atomic_write_json, atomic_write_text, read_json_object


def summarize(results: list[AttackResult]) -> dict[str, Any]:
    """Clean and attacked accuracy, success rate, % words perturbed and queries (over attacked examples).

    Judged on the evaluation draws: clean accuracy is the share of examples whose original the majority of the
    draws classifies correctly; an attacked example (correct by the victim's score and by that majority) is a
    success when the majority misclassifies its final sentence (every final sentence is judged, flipped by the
    search or not). `single_draw_success_rate`: the same judged by the first evaluation draw alone (one inference,
    as deployed). `search_success_rate` is the share the search believed it flipped (the victim's own score);
    `confirmed` = success / search success; `success_without_search_flip`: successes the search did not flag."""
    n = len(results)
    attacked = [r for r in results if not r.skipped]
    success = [r for r in attacked if r.success]
    searched = [r for r in attacked if (r.search_success if r.search_success is not None else r.success)]
    clean = sum(r.clean_correct > 0.5 for r in results)
    return {
        "n": n,
        "attacked": len(attacked),
        "clean_acc": clean / n if n else 0.0,
        "attacked_acc": (clean - len(success)) / n if n else 0.0,
        "success_rate": len(success) / len(attacked) if attacked else 0.0,
        "single_draw_success_rate": sum(bool(r.single_wrong) for r in attacked) / len(attacked) if attacked else 0.0,
        "success_without_search_flip": sum(1 for r in success if r.search_success is False),
        "search_success_rate": len(searched) / len(attacked) if attacked else 0.0,
        "confirmed": len(success) / len(searched) if searched else None,
        "perturbed_words_pct": float(np.mean([100 * len(r.changed) / len(r.original) for r in success]))
        if success
        else 0.0,
        "mean_queries": float(np.mean([r.queries for r in attacked])) if attacked else 0.0,
        "mean_similarity": float(np.mean([r.similarity for r in success])) if success else None,
    }


def write_examples_csv(path: Path, rows: list[tuple[str, AttackResult]], labels: list[str]) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["model", "checkpoint", "index", "label", "original", "perturbed", "status", "prediction",
                        "changed_words", "queries", "similarity", "clean_correct_draws",
                        "adv_wrong_draws", "single_draw_wrong"])  # fmt: skip
            for model, r in rows:
                status = "skipped (misclassified)" if r.skipped else "success" if r.success else "failed"
                if not r.skipped and not r.success and r.search_success:
                    status = "failed (flipped by the search, not by the evaluation draws)"
                if r.success and r.search_success is False:
                    status = "success (the search gave up; the evaluation draws misclassify it)"
                w.writerow(
                    [
                        model.split(":")[0],
                        model.split(":")[-1],
                        r.index,
                        labels[r.label],
                        " ".join(r.original),
                        " ".join(r.perturbed),
                        status,
                        labels[r.final_pred],
                        "; ".join(f"{r.original[i]} -> {r.perturbed[i]}" for i in r.changed if i < len(r.perturbed)),
                        r.queries,
                        f"{r.similarity:.3f}",
                        f"{r.clean_correct:.3f}",
                        "" if r.adv_wrong is None else f"{r.adv_wrong:.3f}",
                        "" if r.single_wrong is None else int(r.single_wrong),
                    ]
                )

    atomic_write(path, write)


def attack_markdown(report: dict) -> str:
    lines = [
        f"{report['attack']} on {report['n']} test examples ({report['sample']}, seed {report['seed']}); "
        f"{report['constraints']}; similarity: {report['similarity']}"
        + (f"; substitutes: {report['substitutes']}" if report.get("substitutes") else ""),
        "",
        "| model | checkpoint | victim | clean acc (%) | attacked acc (%) | success rate (%) | one draw (%) | "
        "search's own (%) | words perturbed (%) | queries | seconds |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in report.get("victims", ("cnn", "snn")):
        r = report.get(key)
        if r:
            v = r["victim"]
            lines.append(
                f"| {key.upper()} | {r.get('checkpoint', '')} | {victim_text(v)} | {100 * r['clean_acc']:.1f} | "
                f"{100 * r['attacked_acc']:.1f} | {100 * r['success_rate']:.1f} | "
                f"{100 * r.get('single_draw_success_rate', r['success_rate']):.1f} | "
                f"{100 * r.get('search_success_rate', r['success_rate']):.1f} | {r['perturbed_words_pct']:.1f} | "
                f"{r['mean_queries']:.1f} | {r['seconds']:.0f} |"
            )
    lines += [
        "",
        "Clean accuracy and success are judged on fresh evaluation draws the search never saw (majority vote), every "
        "final sentence whether or not the search flagged a flip; 'one draw' judges the same sentences by one fresh "
        "draw (one inference, as deployed); 'search's own' is the share the search flipped by the victim's own score.",
    ]
    if report.get("example_set"):
        s = report["example_set"]
        per = ", ".join(f"{k} {v}" for k, v in s["clean_correct"].items())
        lines += ["", f"Example set: {s['rule']}; {s['common']} of {report['n']} examples (clean-correct: {per})."]
    if report.get("comparisons"):
        lines += [
            "",
            "| victim vs CNN (same examples) | n | CNN success (%) | victim success (%) | difference (points) | "
            "95% bootstrap interval | only CNN fooled | only victim fooled | McNemar p |",
            "|---|---:|---:|---:|---:|---|---:|---:|---:|",
        ]
        for key, c in report["comparisons"].items():
            lines.append(
                f"| {key} | {c['n']} | {100 * c['rate_a']:.1f} | {100 * c['rate_b']:.1f} | {100 * c['diff']:+.1f} | "
                f"[{100 * c['ci_low']:+.1f}, {100 * c['ci_high']:+.1f}] | {c['only_a']} | {c['only_b']} | "
                f"{c['p_value']:.3g} |"
            )
    if report.get("transfer"):
        t = report["transfer"]
        n = next(iter(t.values()))["n"]
        parts = ", ".join(f"{k} {100 * v['rate']:.1f}% ({v['fooled']})" for k, v in t.items())
        lines += ["", f"Transfer: the CNN's {n} successful adversarial examples replayed on the others fool {parts}."]
    if report.get("noise_match"):
        m = report["noise_match"]
        lines += [
            "",
            f"cnn-noise-matched: {noise_text(m)}, dev accuracy {100 * m['dev_acc']:.2f} "
            f"against the SNN's {100 * m['snn_dev_acc']:.2f} (tried: {m['tried']}).",
        ]
    return "\n".join(lines) + "\n"


def noise_text(v: dict) -> str:
    """A noisy CNN control's input noise in words ("" for none, and for an SNN: its noise is its own)."""
    if v.get("kind") == "snn":
        return ""
    if v.get("noise_steps"):
        return f"input noise of {v['noise_steps']} Bernoulli steps"
    if v.get("input_noise"):
        return f"input noise σ = {v['input_noise']} at {v['noise_levels']} levels"
    return ""


def victim_text(v: dict) -> str:
    """How the victim was scored, in a few words."""
    noise = noise_text(v) + "; " if noise_text(v) else ""
    confirm = f"; flips kept when {v['confirm']} misclassify (adaptive)" if v.get("confirm") else ""
    if v["mode"] == "expected":
        again = ", flips asked again" if v.get("recheck") else ""
        return f"{noise}expected over {v['draws']} fresh draws/query{again}; judged on {v['eval_draws']}{confirm}"
    if v["mode"] in ("fixed", "average"):
        return f"{noise}{v['mode']}, seeds {v['seeds']}; judged on {v['eval_draws']}{confirm}"
    return v["mode"] + (f", {v['input_code']} input code" if v.get("input_code") else "")


def report_files(out: str | Path, name: str) -> dict[str, Path]:
    """Where attack `name`'s report goes in folder `out`: attack_NAME.json / .md / .csv / .png."""
    return {e: Path(out) / f"attack_{name}.{e}" for e in ("json", "md", "csv", "png")}


def check_no_report(out: str | Path, name: str) -> None:
    """Refuse, before any work, to replace a finished attack's files (pass overwrite to replace them)."""
    there = [p for p in report_files(out, name).values() if p.exists()]
    if there:
        old = read_json_object(report_files(out, name)["json"], "delete it, or choose another --out") or {}
        what = f"{old['n']} examples" if isinstance(old.get("n"), int) else "files"
        raise SpiketextError(
            f"{there[0]}: {out} holds a finished {name} attack ({what}); choose another --out, or pass --overwrite "
            "to replace it"
        )


def write_report(
    report: dict, rows: list[tuple[str, AttackResult]], labels: list[str], out: str | Path
) -> dict[str, str]:
    """attack_NAME.json (without the examples) / .md / .csv (every example) / .png into `out`."""
    from spiketext.viz import attack_figure, save_figure

    files = report_files(out, report["attack"])
    atomic_write_json(files["json"], report)
    atomic_write_text(files["md"], attack_markdown(report))
    write_examples_csv(files["csv"], rows, labels)
    save_figure(attack_figure(report), files["png"])
    return {k: str(v) for k, v in files.items()}
