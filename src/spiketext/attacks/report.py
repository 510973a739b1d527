"""What an attack run reports: metrics over examples, the markdown table, every example as CSV, the plot."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from spiketext.attacks.search import AttackResult
from spiketext.io import atomic_write, atomic_write_json, atomic_write_text


def summarize(results: list[AttackResult]) -> dict[str, Any]:
    """Clean and attacked accuracy, success rate, % words perturbed and queries (over attacked examples)."""
    n = len(results)
    attacked = [r for r in results if not r.skipped]
    success = [r for r in attacked if r.success]
    return {
        "n": n,
        "clean_acc": len(attacked) / n if n else 0.0,
        "attacked_acc": (len(attacked) - len(success)) / n if n else 0.0,
        "success_rate": len(success) / len(attacked) if attacked else 0.0,
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
                        "changed_words", "queries", "similarity"])  # fmt: skip
            for model, r in rows:
                status = "skipped (misclassified)" if r.skipped else "success" if r.success else "failed"
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
                    ]
                )

    atomic_write(path, write)


def attack_markdown(report: dict) -> str:
    lines = [
        f"{report['attack']} on {report['n']} test examples ({report['sample']}, seed {report['seed']}); "
        f"{report['constraints']}; similarity: {report['similarity']}"
        + (f"; substitutes: {report['substitutes']}" if report.get("substitutes") else ""),
        "",
        "| model | checkpoint | victim | clean acc (%) | attacked acc (%) | success rate (%) | words perturbed (%) | "
        "queries | seconds |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key in ("cnn", "snn"):
        r = report.get(key)
        if r:
            v = r["victim"]
            victim = v["mode"] + (f", seeds {v['seeds']}" if v.get("seeds") else "")
            lines.append(
                f"| {key.upper()} | {r.get('checkpoint', '')} | {victim} | {100 * r['clean_acc']:.1f} | "
                f"{100 * r['attacked_acc']:.1f} | {100 * r['success_rate']:.1f} | {r['perturbed_words_pct']:.1f} | "
                f"{r['mean_queries']:.1f} | {r['seconds']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def write_report(
    report: dict, rows: list[tuple[str, AttackResult]], labels: list[str], out: str | Path
) -> dict[str, str]:
    """attack_NAME.json (without the examples) / .md / .csv (every example) / .png into `out`."""
    from spiketext.viz import attack_figure, save_figure

    out = Path(out)
    name = report["attack"]
    files = {e: out / f"attack_{name}.{e}" for e in ("json", "md", "csv", "png")}
    atomic_write_json(files["json"], report)
    atomic_write_text(files["md"], attack_markdown(report))
    write_examples_csv(files["csv"], rows, labels)
    save_figure(attack_figure(report), files["png"])
    return {k: str(v) for k, v in files.items()}
