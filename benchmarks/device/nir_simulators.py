"""A second simulator on an exported graph: the same SNN written for nirtorch (NIR's IF fires at v > θ) and for
SpikingJelly (its IF fires at v ≥ θ, so thresholds one float above θ), each read back by its simulator and run on
the whole test split beside spiketext; and the plain graph in SpikingJelly, whose differences are the membranes
that land exactly on θ.

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/device/nir_simulators.py RUN_DIR \
        --json benchmarks/results/nir/simulators_sst2.json

RUN_DIR: an exportable SNN (reset to zero; `bash benchmarks/device/nir.sh simulators` trains the quick preset's).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run")
    p.add_argument("--json")
    p.add_argument("--check", type=int, default=None, help="first N test sentences (default: all)")
    args = p.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    import nir
    import numpy as np

    from spiketext import api
    from spiketext.core.nir import SIMULATORS, to_nir
    from spiketext.runs.assess import _round_trip
    from spiketext.runs.saved import load_model, run_corpus, split_of

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for sim in ("nirtorch", "spikingjelly"):
            t0 = time.perf_counter()
            r = api.export_nir(args.run, Path(tmp) / f"{sim}.nir", simulator=sim, check=args.check)
            rows.append({"graph": f"written for {sim}", "simulator": sim, "seconds": time.perf_counter() - t0,
                         **r["check"]})  # fmt: skip
        # the plain graph (thresholds θ) in SpikingJelly: what its v ≥ θ rule changes
        bundle = load_model(args.run)
        corpus, _ = run_corpus(args.run, None)
        part = split_of(corpus, "test")
        n = args.check or len(part.texts)
        sim = SIMULATORS.get("spikingjelly", "x")
        plain = to_nir(bundle.model, bundle.featurizer.max_len)
        nir.write(str(Path(tmp) / "plain.nir"), plain)
        t0 = time.perf_counter()
        check = _round_trip(bundle, sim, sim.load(nir.read(str(Path(tmp) / "plain.nir"))), part.texts[:n],
                            np.asarray(part.labels[:n]), 0, 64)  # fmt: skip
        rows.append({"graph": "plain (thresholds θ)", "simulator": "spikingjelly",
                     "seconds": time.perf_counter() - t0, "split": "test", **check})  # fmt: skip
    lines = ["| graph | simulator | sentences | spikes compared | differing (conv / pool / output) | acc spiketext | "
             "acc simulator | agree (%) |", "|---|---|---:|---:|---|---:|---:|---:|"]  # fmt: skip
    for r in rows:
        m = r["spike_mismatches"]
        differ = " / ".join(f"{sum(v for k, v in m.items() if k.startswith('conv')):,}" if part_ == "conv"
                            else f"{m.get(part_, 0):,}" for part_ in ("conv", "pool", "output"))  # fmt: skip
        accs = f"{100 * r['acc_spiketext']:.2f} | {100 * r['acc_nir']:.2f} | {100 * r['predictions_agree']:.1f}"
        lines.append(
            f"| {r['graph']} | {r['simulator']} | {r['sentences']:,} | {r['spikes_compared']:,} | {differ} | {accs} |"
        )
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps({"run": args.run, "rows": rows}, indent=1) + "\n")
        Path(args.json).with_suffix(".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
