"""Do the attacks give the same results from one git revision to another?

Runs `spiketext attack RUN_DIR --attack A --n N --victims V` with each revision's code (checked out into a
temporary worktree, as `quick_repro.py` does; "WORKTREE" is the working tree as it is), one process at a time,
and compares every example's row of the attack CSV (status, perturbed text, prediction, queries, similarity, the
judging draws) and the summary's rates. Used to check that a refactor left the attacks alone.

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/reproduce/attack_repro.py runs/grid/paper_sst2/seed0 \
        --revisions d64cbd3 WORKTREE --attacks textfooler deepwordbug --n 25 \
        --json benchmarks/results/quick_repro/typed_settings_attacks.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from hashlib import sha256
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quick_repro import revision_trees, source_of  # noqa: E402


def one_attack(src: Path, run: Path, attack: str, n: int, victims: str, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "spiketext.cli", "attack", str(run), "--attack", attack, "--n", str(n)]
    cmd += ["--victims", victims, "--out", str(out), "--json", str(out / "summary.json")]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)}\n{done.stderr[-2000:]}")
    csv = (out / f"attack_{attack}.csv").read_bytes()
    summary = json.loads((out / "summary.json").read_text())
    rates = {v: summary[v]["success_rate"] for v in summary["victims"]}
    return {
        "csv_sha256": sha256(csv).hexdigest()[:16],
        "csv_rows": csv.count(b"\n") - 1,
        "success_rates": rates,
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="a run folder with the CNN and the fine-tuned SNN")
    p.add_argument("--revisions", nargs="+", default=["WORKTREE"])
    p.add_argument("--attacks", nargs="+", default=["textfooler"])
    p.add_argument("--n", type=int, default=25)
    p.add_argument("--victims", default="cnn,snn")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    report: dict = {"run": str(args.run), "n": args.n, "victims": args.victims, "attacks": []}
    with revision_trees(args.revisions) as scratch:
        for attack in args.attacks:
            for rev in args.revisions:
                out = scratch / f"{rev}-{attack}"
                row = {"revision": rev, "attack": attack}
                row |= one_attack(source_of(rev, scratch), args.run.resolve(), attack, args.n, args.victims, out)
                report["attacks"].append(row)
                print(json.dumps(row), flush=True)
    print("\n| attack | revision | CSV sha256 | rows | success rates | s |\n|---|---|---|---:|---|---:|")
    for r in report["attacks"]:
        rates = ", ".join(f"{k} {v}" for k, v in r["success_rates"].items())
        cells = (r["attack"], r["revision"], r["csv_sha256"], r["csv_rows"], rates, f"{r['seconds']:.0f}")
        print("| " + " | ".join(map(str, cells)) + " |")
    same = {a: len({r["csv_sha256"] for r in report["attacks"] if r["attack"] == a}) == 1 for a in args.attacks}
    report["identical"] = same
    print("\nidentical CSVs across revisions:", same)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
