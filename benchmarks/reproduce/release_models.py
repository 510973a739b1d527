"""Make the released models: each data set's efficient-preset seed-0 SNN from the grid's run folders (their
checkpoints stay local, under runs/grid/), re-saved small (`runs.released.release`) into
src/spiketext/released/<name>/ with a card whose test accuracy is measured here on the re-saved model.

All six ship with the package: the English ones hold 50-d GloVe rows of a ~20,000-word vocabulary, the Chinese
ones 300-d skip-gram rows of their own; the tables are stored as uint8 levels of the input code (exact), so each
model is about a quarter of its fp32 checkpoint. `sst2_nir` is the model a NIR simulator runs exactly (reset to
zero, Bernoulli input; its table stays fp16, since its draws read every value). `sst2_transformer` is the
spiking transformer's seed-0 SST-2 run (runs/tgrid/, `benchmarks/reproduce/transformer_grid.py`): its weight
matrices in fp16, its word-piece embeddings read from the installed MiniLM package (about 22 MB); its card's test
accuracy is the released model's own SNN at its run's T, measured here (about 10 minutes on 2 cores).

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/reproduce/release_models.py [--runs runs/grid] [NAME ...]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Release:
    """One released model: its name, the run it comes from, the data set, its card's title, the command."""

    name: str
    run: Path
    dataset: str
    title: str
    command: str
    family: str = "textcnn"


def releases(runs: Path) -> list[Release]:
    """The efficient preset's seed-0 SNN of every data set, and one model that exports to NIR exactly (the quick
    preset with reset to zero: Bernoulli input, T = 50; `bash benchmarks/device/nir.sh simulators` trains it)."""
    efficient = [
        Release(d, runs / f"efficient_{d}" / "seed0", d, "the efficient spiking TextCNN",
                f"spiketext run --dataset {d} --preset efficient --seed 0")
        for d in ("sst2", "mr", "subj", "sst5", "chnsenti", "waimai")
    ]  # fmt: skip
    nir = Release("sst2_nir", REPO / "runs" / "nir" / "quick_zero_sst2", "sst2",
                  "the quick preset's spiking TextCNN with reset to zero (exports to NIR exactly)",
                  "spiketext run --dataset sst2 --preset quick --set snn.reset=zero")  # fmt: skip
    transformer = Release("sst2_transformer", REPO / "runs" / "tgrid" / "sst2" / "seed0", "sst2",
                          "the spiking transformer", "spiketext run --dataset sst2 --preset transformer --seed 0",
                          family="transformer")  # fmt: skip
    return [*efficient, nir, transformer]


HEAD = 32  # the test sentences whose SNN predictions the card keeps (the test suite checks them again)
QANN_HEAD = 256  # and the QANN's (a forward pass each: cheap)


def measure_transformer(name: str) -> dict:
    """The released spiking transformer's own test accuracy (SNN at its T, and as the QANN), and its SNN's
    predictions on the first HEAD test sentences."""
    from spiketext import api
    from spiketext.settings.config import DataConfig

    snn = api.evaluate(name, split="test")
    qann = api.evaluate(name, split="test", model="qann")
    texts = api.load_corpus(DataConfig(dataset="sst2")).splits["test"].texts
    head = [r["class_id"] for r in api.classify(api.load_model(name), texts[:HEAD])]
    qann_head = [r["class_id"] for r in api.classify(api.load_model(name, "qann"), texts[:QANN_HEAD])]
    return {"acc": snn["acc"], "size": snn["size"], "num_steps": snn["num_steps"], "qann_acc": qann["acc"],
            "head": head, "qann_head": qann_head}  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="released models to make (default: all)")
    p.add_argument("--runs", default=str(REPO / "runs" / "grid"), help="the efficient grid's run folders")
    args = p.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from spiketext import api
    from spiketext.runs.released import card, release, release_transformer, transformer_card

    for r in releases(Path(args.runs)):
        if args.names and r.name not in args.names:
            continue
        if r.family == "transformer":
            if not (r.run / "snn_steps.json").is_file():
                print(f"{r.name}: no finished transformer run at {r.run}; skipped", file=sys.stderr)
                continue
            release_transformer(r.run, r.name, r.dataset)
            c = transformer_card(r.run, r.name, r.dataset, measure_transformer(r.name), r.command)
            print(f"{r.name}: released model {100 * c['test_acc']:.2f}% at T = {c['num_steps']} (run's SNN "
                  f"{100 * c['run_snn_test_acc']:.2f}%), QANN {100 * c['qann_test_acc']:.2f}%, "
                  f"{c['bytes'] / 1e6:.1f} MB")  # fmt: skip
            continue
        if not (r.run / "checkpoints" / "snn_finetuned.json").is_file():
            print(f"{r.name}: no finished run at {r.run}; skipped", file=sys.stderr)
            continue
        release(r.run, r.name, dataset=r.dataset)
        measured = api.evaluate(r.name, split="test", repeats=1)  # the released model itself, on its test split
        c = card(r.run, r.name, r.dataset, measured, r.command, title=r.title)
        print(f"{r.name}: released model {100 * c['test_acc']:.2f}% (run's SNN {100 * c['run_snn_test_acc']:.2f}%), "
              f"{c['bytes'] / 1e6:.1f} MB, NIR {c['nir'][:9]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
