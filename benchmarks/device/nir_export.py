"""NIR export of trained SST-2 SNNs, each read back with `nir` and run by nirtorch on the whole test split.

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/device/nir_export.py NAME=RUN_DIR[:lossy][:converted] ... \
        [--out runs/nir] [--json FILE]

For each run: `spiketext export-nir RUN OUT/NAME.nir [--lossy] [--model snn_converted]` on the test split (seed 0),
then a table of spikes
compared, spikes that differ per layer, and the test accuracy of spiketext's SNN and of the NIR graph on the same
input spikes. The .nir files stay in OUT (git-ignored: they are rebuilt from the run folders).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from spiketext.api import export_nir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", metavar="NAME=RUN_DIR[:lossy][:converted]")
    ap.add_argument("--out", default="runs/nir")
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = []
    for spec in args.runs:
        name, _, rest = spec.partition("=")
        run, *flags = rest.split(":")
        model = "snn_converted" if "converted" in flags else "snn_finetuned"
        t0 = time.perf_counter()
        r = export_nir(run, Path(args.out) / f"{name}.nir", model=model, lossy="lossy" in flags)
        r["seconds"] = time.perf_counter() - t0
        rows.append({"name": name, "run": run, **r})
    head = "| model | export | file | spikes compared | differing (conv / pool / output) | acc spiketext | acc NIR |"
    print(head + " change |")
    print("|---|---|---:|---:|---|---:|---:|---:|")
    for r in rows:
        c = r["check"]
        m = c["spike_mismatches"]
        conv = sum(v for k, v in m.items() if k.startswith("conv"))
        kind = "exact" if r["exact"] else "lossy (reset to 0)"
        print(
            f"| {r['name']} | {kind} | {r['bytes'] / 1e6:.1f} MB | {c['spikes_compared']:,} | "
            f"{conv:,} / {m['pool']:,} / {m['output']:,} | {100 * c['acc_spiketext']:.2f} | {100 * c['acc_nir']:.2f} | "
            f"{100 * c['acc_change']:+.2f} |"
        )
    print(f"\ntest split of SST-2 ({rows[0]['check']['sentences']:,} sentences), input spikes seed 0, T as trained")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
