"""Run `spiketext attack` over attacks × victim seeds on one run folder, resumably, into a results folder.

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/robustness/attack_runs.py RUN_DIR OUT \
        --attacks textfooler,pwws,textbugger,deepwordbug,pso --seeds 0,1,2 --n 1000 [--mode expected]
        [--similarity minilm] [--models cnn,snn] [--n-pso 100] [--n-pwws 200] [--draws 8] [--threads 1]

Each (attack, seed) writes OUT/seed{S}/attack_{NAME}.{json,md,png} and the examples as .csv.gz; a pair whose
examples file exists is skipped, so an interrupted run picks up where it stopped.
`benchmarks/robustness/attack_table.py OUT` reads
the folder. The victim seed sets the SNN's search and evaluation draws and the character edits.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import time
from pathlib import Path

import torch

from spiketext.api import attack


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("out")
    ap.add_argument("--attacks", default="textfooler,pwws,textbugger,deepwordbug,pso")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--n-pso", type=int, help="examples for PSO (its search costs ~100× the others'); default --n")
    ap.add_argument("--n-pwws", type=int, help="examples for PWWS (it scores every synonym of every word); default --n")
    ap.add_argument("--mode", default="expected")
    ap.add_argument("--draws", type=int, default=8)
    ap.add_argument("--eval-draws", type=int, default=15)
    ap.add_argument("--similarity", default="minilm")
    ap.add_argument("--models", default="cnn,snn")
    ap.add_argument("--mlm", help="masked LM folder for bertattack")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-recheck", dest="recheck", action="store_false", help="accept flips without asking again")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for seed in [int(s) for s in args.seeds.split(",")]:
        folder = Path(args.out) / f"seed{seed}"
        for name in args.attacks.split(","):
            if (folder / f"attack_{name}.csv.gz").is_file():
                print(f"seed {seed} {name}: done already")
                continue
            n = {"pso": args.n_pso, "pwws": args.n_pwws}.get(name) or args.n
            t0 = time.perf_counter()
            r = attack(
                args.run, name, n, "first", seed, args.mode, args.draws, None, folder,
                models=tuple(args.models.split(",")), eval_draws=args.eval_draws, similarity=args.similarity,
                mlm=args.mlm, recheck=args.recheck,
            )  # fmt: skip
            csv = folder / f"attack_{name}.csv"
            with csv.open("rb") as src, gzip.open(f"{csv}.gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            csv.unlink()
            cells = {m: round(100 * r[m]["success_rate"], 1) for m in args.models.split(",")}
            print(f"seed {seed} {name}: n {n}, success {cells}, {time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
