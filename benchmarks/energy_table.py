"""Where the SNN wins and where it loses: every comparison of the reviewer's accounting, per data set.

    python benchmarks/energy_table.py [GRID_DIR] [--preset efficient]

Reads each seed's energy.json under GRID_DIR/<preset>_<data set>/seed<S>/ (default benchmarks/results/grid) and
prints the mean over seeds of every ratio of `spiketext.accounting` (E_SNN / E_CNN; above 1 the SNN loses), then
writes benchmarks/results/energy_table_<preset>.md and .json. Seeds counted with the first accounting only are
skipped and named.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
DATASETS = ("mr", "sst2", "subj", "sst5", "chnsenti", "waimai")
COLUMNS = [  # (key in report["reviewer"], label)
    ("ratio", "every operation, real positions (fp32)"),
    ("ratio_padded", "every padded window"),
    ("ratio_int8", "both int8"),
    ("ratio_zero_skip_cnn", "vs a zero-skipping CNN"),
    ("ratio_quantized_cnn", "SNN int8 vs a CNN with ⌈log₂(T+1)⌉-bit activations"),
    ("ratio_lut", "first layer as a per-word table"),
    ("ratio_event_driven", "event-driven neuron updates"),
    ("memory_event_driven_32KB", "memory-incl., 32 KB, event-driven"),
    ("memory.8KB", "memory-incl., 8 KB SRAM"),
    ("memory.32KB", "memory-incl., 32 KB"),
    ("memory.1MB", "memory-incl., 1 MB"),
    ("memory_int8.32KB", "memory-incl., 32 KB, int8"),
]


def _get(report: dict, key: str) -> float | None:
    value: object = report
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, (int, float)) else None


def table(grid: Path, preset: str) -> tuple[dict, list[str]]:
    rows, skipped = {}, []
    for dataset in DATASETS:
        reports = []
        for seed_dir in sorted((grid / f"{preset}_{dataset}").glob("seed*")):
            path = seed_dir / "energy.json"
            if not path.is_file():
                continue
            report = json.loads(path.read_text())
            if "reviewer" not in report:
                skipped.append(f"{preset}_{dataset}/{seed_dir.name}")
                continue
            reports.append(report)
        if reports:
            rows[dataset] = {"seeds": len(reports)}
            for key, _ in COLUMNS:
                values = [v for v in (_get(r["reviewer"], key) for r in reports) if v is not None]
                rows[dataset][key] = float(np.mean(values)) if values else None
            rows[dataset]["spikes_per_unit"] = float(
                np.mean([r["snn"]["layers"][0]["input_spikes_per_unit"] for r in reports])
            )
    return rows, skipped


def markdown(rows: dict) -> str:
    head = "| E_SNN / E_CNN | " + " | ".join(f"{d} ({r['seeds']})" for d, r in rows.items()) + " |"
    lines = [head, "|---|" + "---:|" * len(rows)]
    for key, label in COLUMNS:
        cells = [f"{r[key]:.3f}" if r.get(key) is not None else "–" for r in rows.values()]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| input spikes per unit | " + " | ".join(f"{r['spikes_per_unit']:.2f}" for r in rows.values()) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("grid", nargs="?", default=str(RESULTS / "grid"))
    ap.add_argument("--preset", default="efficient")
    args = ap.parse_args()
    rows, skipped = table(Path(args.grid), args.preset)
    text = markdown(rows) + (f"\n\nSkipped (first accounting only): {', '.join(skipped)}" if skipped else "")
    print(text)
    (RESULTS / f"energy_table_{args.preset}.md").write_text(text + "\n")
    (RESULTS / f"energy_table_{args.preset}.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
