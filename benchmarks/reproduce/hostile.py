"""Re-run every hostile-input case (tests/hostile.py, issue 24) and print the counts per outcome class.

    python benchmarks/reproduce/hostile.py          # this checkout: benchmarks/results/hostile/after.{json,md}
    python benchmarks/reproduce/hostile.py --src OLD/src --name before   # another checkout, for comparison

Outcome classes: error (a clear one-line error naming the true cause) and correct (exit 0, result checked) are
what must happen; traceback, silent (exit 0, wrong or stale result), lost (a finished result replaced), hang and
cause (a clear error naming the wrong cause) must not. A case that cannot even be set up against an older
checkout (it lacks a function the case uses) counts as a traceback there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KINDS = ("error", "correct", "traceback", "silent", "lost", "hang", "cause")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--src", help="the src/ folder of the spiketext under test (default: this checkout's)")
    p.add_argument("--name", default="after", help="results file name (default: after)")
    p.add_argument("--quick", action="store_true", help="leave out the slow cases (a Ray instance)")
    args = p.parse_args()
    if args.src:
        os.environ["HOSTILE_SRC"] = str(Path(args.src).resolve())
    sys.path.insert(0, str(REPO / "tests"))
    from hostile import CASES, Env, run_case

    rows = []
    with tempfile.TemporaryDirectory(prefix="hostile.") as tmp:
        os.environ["SPIKETEXT_CACHE_DIR"] = str(Path(tmp) / "cache")
        env = Env(Path(tmp))
        for case in CASES:
            if args.quick and case.slow:
                continue
            t0 = time.perf_counter()
            outcome = run_case(case, env)
            rows.append(
                {
                    "case": case.name,
                    "review_class": case.group,
                    "outcome": outcome.kind,
                    "detail": outcome.detail,
                    "seconds": round(time.perf_counter() - t0, 2),
                }  # fmt: skip
            )
            print(f"{outcome.kind:9s} {case.name}: {outcome.detail[:150]}", flush=True)
    counts = Counter(r["outcome"] for r in rows)
    table = ["| outcome | cases |", "|---|---:|"] + [f"| {k} | {counts.get(k, 0)} |" for k in KINDS]
    command = "python benchmarks/reproduce/hostile.py" + (f" --src {args.src} --name {args.name}" if args.src else "")
    seconds = sum(r["seconds"] for r in rows)
    lines = [f"# Hostile-input cases: {args.name}", "", f"`{command}`: {len(rows)} cases, {seconds:.0f} s", "", *table]
    lines += ["", "| case | review class | outcome | detail |", "|---|---|---|---|"]
    for r in rows:
        detail = r["detail"][:160].replace("|", "/")
        lines.append(f"| {r['case']} | {r['review_class']} | {r['outcome']} | {detail} |")
    out = REPO / "benchmarks" / "results" / "hostile"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.name}.json").write_text(json.dumps({"counts": {k: counts.get(k, 0) for k in KINDS}, "cases": rows},
                                                      indent=1, ensure_ascii=False) + "\n")  # fmt: skip
    (out / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(["", *table]))
    bad = sum(counts.get(k, 0) for k in KINDS[2:])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
