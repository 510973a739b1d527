"""Where the SNN wins and where it loses: every comparison of the reviewer's accounting, per data set, from the
committed grid runs; the README's three energy lines; and the memory sweep's figure.

    python benchmarks/energy/energy_table.py [GRID_DIR] [--preset efficient]     # docs/reports/energy.md's table
    python benchmarks/energy/energy_table.py --story                              # the README's energy lines
    python benchmarks/energy/energy_table.py --plot        # benchmarks/results/energy_memory_sweep.png

Reads each seed's energy.json under GRID_DIR/<preset>_<data set>/seed<S>/ (default benchmarks/results/grid) and
prints the mean over seeds of every ratio of `spiketext.energy.accounting` (E_SNN / E_CNN; above 1 the SNN loses), then
writes benchmarks/results/energy_table_<preset>.md and .json. The memory-inclusive ratios are recomputed from each
report's stored operations (`reviewer.ops`: ACs, MACs, words read and written) under both SRAM models: the linear
fit through Horowitz's three points, swept from 8 KB to 1 MB, and his three points themselves. Seeds counted with the
first accounting only are skipped and named.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from spiketext.energy.accounting import HOROWITZ_SRAM_64BIT_PJ, SRAM_SIZES, Ops, memory_ratio, sram_pj

RESULTS = Path(__file__).resolve().parents[1] / "results"
DATASETS = ("mr", "sst2", "subj", "sst5", "chnsenti", "waimai")
FP32 = (0.9, 4.6)
COLUMNS = [  # (key in report["reviewer"], or a memory model's size, label)
    ("ratio", "every operation, real positions (fp32)"),
    ("ratio_padded", "every padded window"),
    ("ratio_int8", "both int8"),
    ("ratio_zero_skip_cnn", "vs a zero-skipping CNN"),
    ("ratio_quantized_cnn", "SNN int8 vs a CNN with ⌈log₂(T+1)⌉-bit activations"),
    ("ratio_lut", "first layer as a per-word table"),
    ("ratio_event_driven", "event-driven neuron updates"),
    ("memory_event_driven_32KB", "memory-incl., 32 KB, event-driven"),
    ("fit.8KB", "memory-incl., 8 KB SRAM (fit)"),
    ("fit.32KB", "memory-incl., 32 KB (fit)"),
    ("fit.1MB", "memory-incl., 1 MB (fit)"),
    ("horowitz.8KB", "memory-incl., 8 KB (Horowitz's point, 10 pJ)"),
    ("horowitz.32KB", "memory-incl., 32 KB (Horowitz's point, 20 pJ)"),
    ("horowitz.1MB", "memory-incl., 1 MB (Horowitz's point, 100 pJ)"),
    ("memory_int8.32KB", "memory-incl., 32 KB, int8 (fit)"),
]


def _ops(reviewer: dict) -> tuple[Ops, Ops]:
    return Ops(**reviewer["ops"]["snn"]), Ops(**reviewer["ops"]["cnn"])


def memory_at(reviewer: dict, model: str, size: str | float) -> float:
    """The memory-inclusive fp32 ratio of one report under `model` ("fit": bytes or a size name; "horowitz": one
    of his three sizes), recomputed from its stored operations."""
    snn, cnn = _ops(reviewer)
    if model == "horowitz":
        return memory_ratio(snn, cnn, *FP32, HOROWITZ_SRAM_64BIT_PJ[str(size)] * 32 / 64)
    nbytes = SRAM_SIZES[size] if isinstance(size, str) else size
    return memory_ratio(snn, cnn, *FP32, sram_pj(nbytes, 32))


def _get(reviewer: dict, key: str) -> float | None:
    model, _, size = key.partition(".")
    if model in ("fit", "horowitz"):
        return memory_at(reviewer, model, size)
    value: object = reviewer
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, (int, float)) else None


def reports(grid: Path, preset: str) -> tuple[dict[str, list[dict]], list[str]]:
    """{data set: [each seed's energy report]} and the seeds skipped (counted before the reviewer's accounting)."""
    out, skipped = {}, []
    for dataset in DATASETS:
        found = []
        for seed_dir in sorted((grid / f"{preset}_{dataset}").glob("seed*")):
            path = seed_dir / "energy.json"
            if not path.is_file():
                continue
            report = json.loads(path.read_text())
            if "reviewer" not in report:
                skipped.append(f"{preset}_{dataset}/{seed_dir.name}")
                continue
            found.append(report)
        if found:
            out[dataset] = found
    return out, skipped


def spikes_per_real_unit(report: dict) -> float:
    first = report["snn"]["layers"][0]
    return first.get("input_spikes_per_real_unit") or first["input_spikes_per_unit"]


def table(grid: Path, preset: str) -> tuple[dict, list[str]]:
    found, skipped = reports(grid, preset)
    rows = {}
    for dataset, reps in found.items():
        rows[dataset] = {"seeds": len(reps)}
        for key, _ in COLUMNS:
            values = [v for v in (_get(r["reviewer"], key) for r in reps) if v is not None]
            rows[dataset][key] = float(np.mean(values)) if values else None
        rows[dataset]["spikes_per_real_unit"] = float(np.mean([spikes_per_real_unit(r) for r in reps]))
        rows[dataset]["real_units_counted"] = all(
            r["snn"]["layers"][0].get("input_spikes_per_real_unit") is not None for r in reps
        )
    return rows, skipped


def markdown(rows: dict) -> str:
    head = "| E_SNN / E_CNN | " + " | ".join(f"{d} ({r['seeds']})" for d, r in rows.items()) + " |"
    lines = [head, "|---|" + "---:|" * len(rows)]
    for key, label in COLUMNS:
        cells = [f"{r[key]:.3f}" if r.get(key) is not None else "–" for r in rows.values()]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    label = "input spikes per unit of a real word" + ("" if all(r["real_units_counted"] for r in rows.values()) else
                                                      " (padding included where not counted)")  # fmt: skip
    lines.append(f"| {label} | " + " | ".join(f"{r['spikes_per_real_unit']:.2f}" for r in rows.values()) + " |")
    return "\n".join(lines)


def _span(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}–{hi:.2f}"


def story(rows: dict) -> str:
    """The README's energy lines: the compute ratio and the two verdicts that can flip it, one line each."""
    compute = [r["ratio"] for r in rows.values()]
    fit = [r[f"fit.{s}"] for r in rows.values() for s in ("8KB", "32KB", "1MB")]
    hpts = {s: [r[f"horowitz.{s}"] for r in rows.values()] for s in ("8KB", "32KB", "1MB")}
    wins = [f"{d} at 8 KB ({r['horowitz.8KB']:.2f}×)" for d, r in rows.items() if r["horowitz.8KB"] < 1]
    wins += [f"{d} at {s} ({r[f'horowitz.{s}']:.2f}×)" for d, r in rows.items() for s in ("32KB", "1MB")
             if r[f"horowitz.{s}"] < 1]  # fmt: skip
    lut = [r["ratio_lut"] for r in rows.values()]
    n = len(rows)
    counts = sorted({r["seeds"] for r in rows.values()})
    seeds = (f"mean of {counts[0]} seed{'s' * (counts[0] > 1)}" if len(counts) == 1
             else f"mean of {counts[0]}–{counts[-1]} seeds")  # fmt: skip
    horowitz = ", ".join(f"{s} {_span(v)}×" for s, v in hpts.items())
    verdict = f"the SNN wins only on {', '.join(wins)}" if wins else "the SNN loses at all three"
    return "\n".join(
        [
            f"- **Compute**: the efficient SNN costs **{_span(compute)}×** its CNN's energy (every operation of both "
            f"models on real words, fp32; {seeds} on each of {n} data sets).",
            f"- **Memory counted** (one SRAM for both, every weight read and state read and write): it **loses**, "
            f"{_span(fit)}× from 8 KB to 1 MB with the fit through Horowitz's points; at his own three points "
            f"({horowitz}) {verdict}.",
            f"- **First layer as a lookup table** (static embeddings let a CNN fold its first layer into a per-word "
            f"table): it **loses**, {_span(lut)}×.",
        ]
    )


def plot(grid: Path, preset: str, path: Path) -> None:
    """Memory-inclusive E_SNN / E_CNN against the SRAM size: the fit swept from 8 KB to 1 MB (lines, seeds'
    mean), Horowitz's three points (markers), the break-even line, and each flip of the verdict marked."""
    from matplotlib.figure import Figure

    found, _ = reports(grid, preset)
    sizes = np.geomspace(8 * 1024, 1024 * 1024, 60)
    fig = Figure(figsize=(7.5, 4.5))
    ax = fig.subplots()
    for dataset, reps in found.items():
        curve = np.mean([[memory_at(r["reviewer"], "fit", float(b)) for b in sizes] for r in reps], axis=0)
        (line,) = ax.plot(sizes / 1024, curve, label=f"{dataset} (fit)")
        points = {s: float(np.mean([memory_at(r["reviewer"], "horowitz", s) for r in reps]))
                  for s in HOROWITZ_SRAM_64BIT_PJ}  # fmt: skip
        xs = [SRAM_SIZES[s] / 1024 for s in points]
        ax.plot(xs, list(points.values()), "o", color=line.get_color(), markerfacecolor="none")
        for x, (s, v) in zip(xs, points.items(), strict=True):
            if v < 1:
                ax.annotate(f"{dataset} {s}: {v:.2f}× (SNN wins)", (x, v), textcoords="offset points",
                            xytext=(6, -12), fontsize=7, color=line.get_color())  # fmt: skip
        flips = np.nonzero(np.diff(np.sign(curve - 1)))[0]
        for i in flips:
            ax.axvline(sizes[i] / 1024, color=line.get_color(), linestyle=":", linewidth=0.8)
    ax.axhline(1.0, color="black", linewidth=1)
    low, high = ax.get_ylim()
    ax.set_ylim(min(low, 0.9), high)
    ax.text(8.2, 1.005, "break-even: above, the SNN loses", fontsize=7, va="bottom")
    ax.set_xscale("log")
    ax.set_xlabel("SRAM size (KB) holding both models' weights and state")
    ax.set_ylabel("memory-inclusive E_SNN / E_CNN")
    ax.set_title(
        f"{preset} preset: lines = linear fit, circles = Horowitz's own points (8 KB, 32 KB, 1 MB)", fontsize=9
    )
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("grid", nargs="?", default=str(RESULTS / "grid"))
    ap.add_argument("--preset", default="efficient")
    ap.add_argument("--story", action="store_true", help="print the README's energy lines")
    ap.add_argument("--plot", action="store_true", help="write benchmarks/results/energy_memory_sweep.png")
    args = ap.parse_args()
    rows, skipped = table(Path(args.grid), args.preset)
    if args.story:
        print(story(rows))
        return
    if args.plot:
        plot(Path(args.grid), args.preset, RESULTS / "energy_memory_sweep.png")
        return
    text = markdown(rows) + (f"\n\nSkipped (first accounting only): {', '.join(skipped)}" if skipped else "")
    print(text)
    (RESULTS / f"energy_table_{args.preset}.md").write_text(text + "\n")
    (RESULTS / f"energy_table_{args.preset}.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
