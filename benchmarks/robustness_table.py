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
    code, steps = v.get("input_code", "bernoulli"), v.get("num_steps", 50)  # files without them: the quick preset
    if key == "snn-regular":
        return f"SNN weights, deterministic {code} code, no input noise"
    return f"SNN ({code}, T = {steps}" + (f", input noise σ = {v['input_noise']})" if v.get("input_noise") else ")")


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
                f"| {name(key, v['victim'])} | {clean:.1f} | {100 * v['success_rate']:.1f} | {diff} | {ci} | {p} | "
                f"{tr} | {v['seconds']:.0f} |"
            )
        if r.get("noise_match"):
            m = r["noise_match"]
            lines.append("")
            level = f"{m['noise_steps']} Bernoulli steps" if m.get("noise_steps") else f"σ = {m['input_noise']}"
            lines.append(
                f"Noise matched on dev: {level} (dev {100 * m['dev_acc']:.2f}% against the "
                f"SNN's {100 * m['snn_dev_acc']:.2f}%)."
            )
        lines.append("")
    print("\n".join(lines).strip())


if __name__ == "__main__":
    main()
