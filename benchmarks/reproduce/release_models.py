"""Make the released models: each data set's efficient-preset seed-0 SNN from the grid's run folders (their
checkpoints stay local, under runs/grid/), re-saved small (`runs.released.release`) into
src/spiketext/released/<name>/ with a card whose test accuracy is measured here on the re-saved model.

All six ship with the package: the English ones hold 50-d GloVe rows of a ~20,000-word vocabulary, the Chinese
ones 300-d skip-gram rows of their own; the tables are stored as uint8 levels of the input code (exact), so each
model is about a quarter of its fp32 checkpoint.

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/reproduce/release_models.py [--runs runs/grid] [DATASET ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATASETS = ("sst2", "mr", "subj", "sst5", "chnsenti", "waimai")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("datasets", nargs="*", default=list(DATASETS))
    p.add_argument("--runs", default=str(REPO / "runs" / "grid"))
    args = p.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from spiketext import api
    from spiketext.runs.released import card, release

    for dataset in args.datasets:
        run = Path(args.runs) / f"efficient_{dataset}" / "seed0"
        if not (run / "checkpoints" / "snn_finetuned.json").is_file():
            print(f"{dataset}: no finished run at {run}; skipped", file=sys.stderr)
            continue
        release(run, dataset)
        measured = api.evaluate(dataset, split="test", repeats=1)  # the released model itself, on its test split
        command = f"spiketext run --dataset {dataset} --preset efficient --seed 0"
        c = card(run, dataset, dataset, measured, command)
        print(f"{dataset}: released model {100 * c['test_acc']:.2f}% (run's SNN {100 * c['run_snn_test_acc']:.2f}%), "
              f"{c['bytes'] / 1e6:.1f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
