"""A grid group's mean ± std over seeds from its committed per-seed files (benchmarks/reproduce/grid_cpu.sh,
energy/recount_energy.py).

    python benchmarks/reproduce/grid_summary.py benchmarks/results/grid/<preset>_<dataset>

The group's configuration is its first finished seed's own config.json (with that seed and the number of seeds);
the first three finished seeds (run.time written) are averaged.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from spiketext.runs.seeds import summarize_seeds
from spiketext.settings.config import RunConfig, from_dict


def summarize_group(folder: Path) -> dict:
    seeds = sorted(int(p.name[4:]) for p in folder.glob("seed*") if (p / "run.time").is_file())[:3]
    first = json.loads((folder / f"seed{seeds[0]}" / "config.json").read_text())
    cfg = dataclasses.replace(from_dict(RunConfig, first, "config.json"), seed=seeds[0], seeds=len(seeds))
    per_seed = [json.loads((folder / f"seed{s}" / "results.json").read_text()) for s in seeds]
    return summarize_seeds(cfg, folder, per_seed)


if __name__ == "__main__":
    summarize_group(Path(sys.argv[1]))
