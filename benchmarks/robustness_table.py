"""The robustness table of docs/robustness.md from benchmarks/results/robustness/<dataset>_<attacker>/summary.json
(`benchmarks/robustness.sh`): per data set and attacker, every victim's clean accuracy on the sample, its success
rate on the shared examples, and the paired comparison with the CNN (difference, bootstrap 95% interval, McNemar),
the transfer of the CNN's adversarial examples, and the seconds each victim's attack took.

    python benchmarks/robustness_table.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "robustness"
NAMES = {
    "cnn": "CNN",
    "snn": "SNN (Bernoulli, T = 50)",
    "cnn-noise": "CNN fed the SNN's input noise (50 steps)",
    "cnn-noise-matched": "CNN, noise matched on dev",
    "snn-regular": "SNN weights, deterministic regular code",
}


def main() -> None:
    lines = []
    for path in sorted(RESULTS.glob("*/summary.json")):
        r = json.loads(path.read_text())
        dataset, attacker = path.parent.name.rsplit("_", 1)
        s = r["example_set"]
        lines += [
            f"**{dataset.upper()}, {r['attack']}, {attacker} attacker** ({s['common']} of {r['n']} test examples "
            "that every victim classifies correctly):",
            "",
            "| victim | clean acc on the sample (%) | success (%) | vs CNN (points) | 95% interval | McNemar p | "
            "CNN's examples transfer (%) | seconds |",
            "|---|---:|---:|---:|---|---:|---:|---:|",
        ]
        for key in r["victims"]:
            v, c = r[key], r.get("comparisons", {}).get(key)
            t = r.get("transfer", {}).get(key)
            clean = 100 * s["clean_correct"][key] / r["n"]
            diff = f"{100 * c['diff']:+.1f}" if c else "–"
            ci = f"[{100 * c['ci_low']:+.1f}, {100 * c['ci_high']:+.1f}]" if c else "–"
            p = f"{c['p_value']:.2g}" if c else "–"
            tr = f"{100 * t['rate']:.1f}" if t else "–"
            lines.append(
                f"| {NAMES.get(key, key)} | {clean:.1f} | {100 * v['success_rate']:.1f} | {diff} | {ci} | {p} | {tr} | "
                f"{v['seconds']:.0f} |"
            )
        if r.get("noise_match"):
            m = r["noise_match"]
            lines.append("")
            lines.append(
                f"Noise matched on dev: {m['noise_steps']} Bernoulli steps (dev {100 * m['dev_acc']:.2f}% against the "
                f"SNN's {100 * m['snn_dev_acc']:.2f}%)."
            )
        lines.append("")
    print("\n".join(lines).strip())


if __name__ == "__main__":
    main()
