"""Robustness next to energy (issue 25): per data set and model, clean test accuracy (the SNN's and its CNN's),
E_SNN / E_CNN in the reviewer's accounting, and TextFooler's success under the adaptive attacker against the SNN
and against its CNN on the examples both (and the controls) get right, with the paired difference, its bootstrap
95% interval and McNemar's p. The noise controls of each row are in docs/reports/robustness.md's full tables.

    python benchmarks/robustness/robustness_energy.py [--write]   # --write: also results/robustness/robustness_energy.*
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
from spiketext.runs.results import AttackReport  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
# (data set, model, attack folder under results/robustness, the run's folder (results.json) or its printed log)
ROWS = [
    ("sst2", "paper setting: Bernoulli input, T = 50 (quick preset)", "sst2_adaptive", "frontier/quick_sst2"),
    ("sst2", "efficient + input noise σ = 0.1 (TTFS, T = 16)", "sst2-noise0.1_adaptive", "noise/sst2/sigma0.1/seed0"),
    ("sst2", "efficient + input noise σ = 0.2 (TTFS, T = 16)", "sst2-noise0.2_adaptive", "noise/sst2/sigma0.2/seed0"),
    ("mr", "paper setting: Bernoulli input, T = 50 (quick preset)", "mr_adaptive", "robustness/quick_mr.log"),
    ("mr", "efficient + input noise σ = 0.1 (TTFS, T = 16)", "mr-noise0.1_adaptive", "noise/mr/sigma0.1/seed0"),
    *(
        (d, "efficient + input noise σ = 0.1 (TTFS, T = 16)", f"{d}-noise0.1_adaptive", f"noise/{d}/sigma0.1/seed0")
        for d in ("sst5", "subj", "chnsenti", "waimai")
    ),
]


def main() -> None:
    rows = []
    for dataset, model, attack, run in ROWS:
        summary = RESULTS / "robustness" / attack / "summary.json"
        if not summary.is_file():
            continue
        s = AttackReport.from_json(json.loads(summary.read_text()), str(summary))
        c, noisy = s.comparisons["snn"], s.comparisons.get("cnn-noise")
        row = {
            "dataset": dataset,
            "model": model,
            "examples": s.shared,
            "cnn_success": 100 * s.summaries["cnn"].success_rate,
            "snn_success": 100 * s.summaries["snn"].success_rate,
            "diff": 100 * c.diff,
            "ci": [100 * c.ci_low, 100 * c.ci_high],
            "p": c.p_value,
            "noise_cnn_diff": 100 * noisy.diff if noisy else None,
            "cnn_acc": None,
            "snn_acc": None,
            "energy": None,
        }
        if run.endswith(".log"):  # the run folder was not kept: its printed results (energy not counted)
            tests = {
                line.split(" dev ")[0].strip(): float(line.rsplit("test", 1)[1].split()[0])
                for line in (RESULTS / run).read_text().splitlines()
                if " dev " in line and " test " in line
            }
            row.update(cnn_acc=tests["Tailored CNN"], snn_acc=tests["SNN, converted + fine-tuned (the method)"])
        else:
            r = json.loads((RESULTS / run / "results.json").read_text())
            row.update(
                cnn_acc=100 * r["cnn"]["test_acc"],
                snn_acc=100 * r["snn_finetuned"]["test_acc"],
                energy=(r.get("energy") or {}).get("ratio_all_ops"),
            )
        rows.append(row)

    def num(x: float | None, fmt: str) -> str:
        return "–" if x is None else format(x, fmt)

    lines = [
        "| data | model | SNN test % | its CNN % | E_SNN/E_CNN | shared examples | CNN fooled % | SNN fooled % | "
        "SNN − CNN (points) | 95% interval | McNemar p | CNN fed the same noise − CNN |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['model']} | {num(r['snn_acc'], '.2f')} | {num(r['cnn_acc'], '.2f')} | "
            f"{num(r['energy'], '.3f')} | {r['examples']} | {r['cnn_success']:.1f} | {r['snn_success']:.1f} | "
            f"{r['diff']:+.1f} | [{r['ci'][0]:+.1f}, {r['ci'][1]:+.1f}] | {r['p']:.2g} | "
            f"{num(r['noise_cnn_diff'], '+.1f')} |"
        )
    lines += ["", *_seed_means()]
    text = "\n".join(lines).rstrip()
    print(text)
    if "--write" not in sys.argv[1:]:
        return
    out = RESULTS / "robustness" / "robustness_energy"
    out.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    out.with_suffix(".md").write_text(text + "\n")


def _seed_means() -> list[str]:
    """Clean test accuracy of the noisy models over the seeds committed (benchmarks/robustness/noise.sh seeds), mean
    ± std."""
    import statistics

    out = []
    for folder in sorted((RESULTS / "noise").glob("*/sigma*")):
        runs = [json.loads(f.read_text()) for f in sorted(folder.glob("seed*/results.json"))]
        runs = [r for r in runs if "energy" in r and "snn_finetuned" in r and not r["snn_finetuned"].get("partial")]
        if len(runs) < 2:
            continue
        snn = [100 * r["snn_finetuned"]["test_acc"] for r in runs]
        cnn = [100 * r["cnn"]["test_acc"] for r in runs]
        gap = [c - s for c, s in zip(cnn, snn, strict=True)]
        out.append(
            f"- {folder.parent.name}, σ = {folder.name[5:]}, {len(runs)} seeds: SNN {statistics.mean(snn):.2f} ± "
            f"{statistics.pstdev(snn):.2f}, its CNN {statistics.mean(cnn):.2f} ± {statistics.pstdev(cnn):.2f}, "
            f"SNN below its CNN by {statistics.mean(gap):.2f} ± {statistics.pstdev(gap):.2f} points"
        )
    return out


if __name__ == "__main__":
    main()
