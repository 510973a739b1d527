"""A grid group's mean ± std over seeds from its committed per-seed files (benchmarks/grid_cpu.sh, recount_energy.py).

    python benchmarks/grid_summary.py benchmarks/results/grid/<preset>_<dataset>

The group's configuration is the one `benchmarks/grid_cpu.sh` runs: the preset, the data set, fp32, and the
ablation rows (--baselines) for the paper preset on SST-2 and MR; its first three finished seeds (run.time written).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from spiketext.config import build_run_config
from spiketext.seeds import summarize_seeds

WITH_BASELINES = {"paper_sst2", "paper_mr"}


def summarize_group(folder: Path) -> dict:
    preset, dataset = folder.name.split("_", 1)
    seeds = sorted(int(p.name[4:]) for p in folder.glob("seed*") if (p / "run.time").is_file())[:3]
    overrides = {"data": {"dataset": dataset}, "seed": seeds[0], "seeds": len(seeds), "precision": "fp32",
                 "baselines": folder.name in WITH_BASELINES}  # fmt: skip
    cfg = build_run_config(preset, overrides=overrides)
    per_seed = [json.loads((folder / f"seed{s}" / "results.json").read_text()) for s in seeds]
    return summarize_seeds(cfg, folder, per_seed)


if __name__ == "__main__":
    summarize_group(Path(sys.argv[1]))
