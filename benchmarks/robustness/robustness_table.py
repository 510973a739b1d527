"""The robustness tables of docs/reports/robustness.md from benchmarks/results/robustness/<folder>/summary*.json
(`benchmarks/robustness/robustness.sh`, `benchmarks/robustness/noise.sh`; a folder is one model and attacker,
`summary.json` its
TextFooler attack, `summary_NAME.json` the others).

    python benchmarks/robustness/robustness_table.py            one row per attack: every control against the CNN
    python benchmarks/robustness/robustness_table.py --draws    the adaptive attacker's draws per query against the
                                                                 margin
    python benchmarks/robustness/robustness_table.py --detail   per attack: every victim's clean accuracy, success rate,
                                                     paired comparison with the CNN, transfer, seconds; the
                                                     label checks (a held-out judge, a blind hand-labelled sample)

Every comparison is on the examples all victims of that attack classify correctly: the difference of success
rates against the CNN and its bootstrap 95% interval (McNemar's exact p in --detail).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
from spiketext.runs.results import AttackReport, PairedComparison  # noqa: E402
from spiketext.stats import compare_paired  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "robustness"
CONTROLS = ("snn", "cnn-noise", "cnn-noise-matched", "snn-regular")


def name(key: str, v: dict) -> str:
    """A victim's row label from its recorded description."""
    if key == "cnn":
        return "CNN"
    if v.get("kind") != "snn" and v.get("noise_steps"):
        noise = f"{v['noise_steps']} Bernoulli steps"
    elif v.get("kind") != "snn" and v.get("input_noise"):
        noise = f"σ = {v['input_noise']} at {v['noise_levels']} levels"
    if key == "cnn-noise":
        return f"CNN fed the SNN's input noise ({noise})"
    if key == "cnn-noise-matched":
        return f"CNN, noise matched on dev ({noise})"
    if key == "snn-regular":
        return f"SNN weights, deterministic {v.get('input_code', 'regular')} code, no input noise"
    return f"SNN ({snn_model(v)})"


def snn_model(v: dict) -> str:
    """The SNN's input, short: files without input_code are the quick preset (Bernoulli, T = 50)."""
    code, steps = v.get("input_code", "bernoulli"), v.get("num_steps", 50)
    noise = f", σ = {v['input_noise']}" if v.get("input_noise") else ""
    return f"{code}, T = {steps}{noise}"


def reports() -> list[tuple[str, str, Path, AttackReport]]:
    """(data set, attacker, summary path, report) for every committed attack, ordered by folder then attack."""
    out = []
    # <data set>_<attacker> folders only (reviewer/ holds the issue-39 protocol's runs: reviewer_table.py)
    for folder in sorted(p for p in RESULTS.iterdir() if p.is_dir() and "_" in p.name):
        dataset, attacker = folder.name.rsplit("_", 1)
        for path in sorted(folder.glob("summary*.json")):
            out.append((dataset, attacker, path, AttackReport.from_json(json.loads(path.read_text()), str(path))))
    return out


def snn_vs(path: Path, r: AttackReport, others: tuple[str, ...]) -> list[PairedComparison | None]:
    """The SNN against other victims (`cnn-noise`: the CNN fed its input noise; `cnn-noise-matched`: the CNN at
    the noise that matches the SNN's dev accuracy), paired on the shared examples from the attack's CSV (read
    once): what spiking adds beyond the noise. None for a victim the attack did not have."""
    wanted = [o for o in others if o in r.victims and "snn" in r.victims]
    success: dict[str, dict[int, bool]] = {k: {} for k in ("snn", *wanted)}
    rows = path.parent / f"attack_{r.attack}.csv.gz"
    if wanted:
        with gzip.open(rows, "rt", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["model"] in success:
                    success[row["model"]][int(row["index"])] = row["status"] == "success"
    ids = sorted(success["snn"])
    out: list[PairedComparison | None] = []
    for other in others:
        if other not in wanted:
            out.append(None)
            continue
        if sorted(success[other]) != ids:
            raise SystemExit(f"{rows}: the SNN and {other} were not attacked on the same examples")
        out.append(compare_paired([success[other][i] for i in ids], [success["snn"][i] for i in ids]))
    return out


def cell(c: PairedComparison | None) -> str:
    return "–" if c is None else f"{100 * c.diff:+.1f} [{100 * c.ci_low:+.1f}, {100 * c.ci_high:+.1f}]"


def attacker_of(folder: str, folder_attacker: str, r: AttackReport) -> str:
    # the part-of-speech check binds word substitutes only: DeepWordBug's one-letter edits have none
    pos = str(r.extra.get("substitute_pos_check", "none")).startswith("WordNet") and r.attack != "deepwordbug"
    a = folder_attacker + (", POS" if pos else "")
    draws = r.summaries["snn"].victim.get("draws", 8) if "snn" in r.summaries else 8
    return a + (f", {draws} draws per query" if draws != 8 or "-draws" in folder else "")


def summary() -> list[str]:
    lines = [
        "| data | SNN input | attack | attacker | shared examples | CNN fooled % | SNN − CNN | CNN + the SNN's noise "
        "− CNN | CNN, noise matched on dev − CNN | SNN without noise − CNN | SNN − CNN + the SNN's noise | SNN − "
        "CNN, noise matched on dev |",
        "|---|---|---|---|---:|---:|---|---|---|---|---|---|",
    ]
    for dataset, attacker, path, r in reports():
        if "-draws" in dataset:  # the draws-per-query study has its own table (--draws)
            continue
        pairs = [cell(c) for c in snn_vs(path, r, ("cnn-noise", "cnn-noise-matched"))]
        cells = " | ".join([*(cell(r.comparisons.get(k)) for k in CONTROLS), *pairs])
        snn = snn_model(r.summaries["snn"].victim)
        lines.append(
            f"| {dataset.split('-')[0]} | {snn} | {r.attack} | {attacker_of(dataset, attacker, r)} | "
            f"{r.shared} | {100 * r.summaries['cnn'].success_rate:.1f} | {cells} |"
        )
    return lines


def draws() -> list[str]:
    """The draws-per-query study (`noise.sh draws`): the SNN against the CNN as the attacker's draws grow."""
    lines = [
        "| draws per query | shared examples | CNN fooled % | SNN fooled % | SNN − CNN (points) | 95% interval | "
        "McNemar p | the SNN's attack (s) |",
        "|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    rows = [(r.summaries["snn"].victim.get("draws", 8), r) for d, _, _, r in reports() if "-draws" in d]
    for n, r in sorted(rows, key=lambda x: x[0]):
        c, snn = r.comparisons["snn"], r.summaries["snn"]
        lines.append(
            f"| {n} | {r.shared} | {100 * r.summaries['cnn'].success_rate:.1f} | {100 * snn.success_rate:.1f} | "
            f"{100 * c.diff:+.1f} | [{100 * c.ci_low:+.1f}, {100 * c.ci_high:+.1f}] | {c.p_value:.2g} | "
            f"{snn.seconds or 0:.0f} |"
        )
    return lines


def detail() -> list[str]:
    lines: list[str] = []
    for dataset, attacker, path, r in reports():
        s = r.example_set
        lines += [
            f"**{dataset.upper()}, {r.attack}, {attacker_of(dataset, attacker, r)} attacker** ({r.shared} of {r.n} "
            f"test examples that every victim classifies correctly; `{path.relative_to(ROOT)}`):",
            "",
            "| victim | clean acc on the sample (%) | success (%) | vs CNN (points) | 95% interval | McNemar p | "
            "CNN's examples transfer (%) | seconds |",
            "|---|---:|---:|---:|---|---:|---:|---:|",
        ]
        for key in r.victims:
            v, c, t = r.summaries[key], r.comparisons.get(key), r.transfer.get(key)
            clean = 100 * s["clean_correct"][key] / r.n
            diff = f"{100 * c.diff:+.1f}" if c else "–"
            ci = f"[{100 * c.ci_low:+.1f}, {100 * c.ci_high:+.1f}]" if c else "–"
            p = f"{c.p_value:.2g}" if c else "–"
            tr = f"{100 * t['rate']:.1f}" if t else "–"
            lines.append(
                f"| {name(key, v.victim)} | {clean:.1f} | {100 * v.success_rate:.1f} | {diff} | {ci} | {p} | "
                f"{tr} | {v.seconds or 0:.0f} |"
            )
        if r.noise_match:
            m = r.noise_match
            level = f"{m['noise_steps']} Bernoulli steps" if m.get("noise_steps") else f"σ = {m['input_noise']}"
            lines += ["", f"Noise matched on dev: {level} (dev {100 * m['dev_acc']:.2f}% against the SNN's "
                      f"{100 * m['snn_dev_acc']:.2f}%)."]  # fmt: skip
        lines.append("")
    lines += label_checks()
    return lines


def label_checks() -> list[str]:
    """Every label check committed beside the attacks: held-out judges and blind hand-labelled samples."""
    lines = [
        "**Label checks** (TextFooler's successes; `benchmarks/robustness/label_check.py`, "
        "`benchmarks/robustness/hand_labels.py`): the "
        "share of successes whose perturbed sentence still reads as the gold label, per victim.",
        "",
        "| folder | reader | victim | successes read | gold label kept (%) |",
        "|---|---|---|---:|---:|",
    ]
    # <data set>_<attacker> folders only (reviewer/ holds the issue-39 protocol's runs: reviewer_table.py)
    for folder in sorted(p for p in RESULTS.iterdir() if p.is_dir() and "_" in p.name):
        for path in sorted(folder.glob("label_check*.json")):
            r = json.loads(path.read_text())
            judge = r["judge"] if r["judge"].startswith("minilm:") else "quick-preset CNN of the other data set"
            acc = f", {100 * r['judge_test_acc']:.1f}% on this test set" if "judge_test_acc" in r else ""
            for v, c in r["victims"].items():
                pct = "–" if c["label_preserving_pct"] is None else f"{c['label_preserving_pct']:.1f}"
                lines.append(f"| {folder.name} | judge {judge}{acc} | {v} | {c['judge_agrees_on_original']} | {pct} |")
        score = folder / "hand_labels" / "score.json"
        if score.is_file():
            for v, c in json.loads(score.read_text()).items():
                lo, hi = c["kept_ci95"]
                lines.append(
                    f"| {folder.name} | one human, blind (perturbed sentence only; {c['flipped']} read as the other "
                    f"label, {c['unclear']} unclear) | {v} | {c['n']} | {c['kept_pct']:.0f} [{lo:.0f}, {hi:.0f}] |"
                )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--detail", action="store_true", help="every victim of every attack, and the label checks")
    ap.add_argument("--draws", action="store_true", help="the draws-per-query study only")
    args = ap.parse_args()
    print("\n".join(detail() if args.detail else draws() if args.draws else summary()).strip())


if __name__ == "__main__":
    main()
