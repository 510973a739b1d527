"""Does the quick preset give the same numbers from one process to the next, and from one revision to another?

Runs `spiketext run --dataset sst2 --preset quick` (or `--preset NAME`) in fresh processes, one after another
(never side by side), for each git revision named (checked out into a temporary worktree; "WORKTREE" is the
working tree as it is), and prints the CNN / converted / fine-tuned test accuracies, E_SNN / E_CNN, and the first
CNN epoch's training loss of every run, with the CPU and the precision `auto` picked. Used to check that a
refactor left the numbers alone; each run also records the sha256 of every checkpoint it wrote.

    SPIKETEXT_DATA_DIR=../shared/data python benchmarks/reproduce/quick_repro.py --revisions 4a758c8 WORKTREE --runs 2 \
        --json benchmarks/results/quick_repro.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import sha256
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def source_of(revision: str, scratch: Path) -> Path:
    if revision == "WORKTREE":
        return REPO / "src"
    tree = scratch / f"rev-{revision}"
    if not tree.exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), revision], check=True,
                       capture_output=True)  # fmt: skip
    return tree / "src"


@contextmanager
def revision_trees(revisions: list[str]) -> Iterator[Path]:
    """A scratch folder for `source_of`; the worktrees it checked out are removed on the way out."""
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        try:
            yield scratch
        finally:
            for rev in revisions:
                if rev != "WORKTREE":
                    tree = str(scratch / f"rev-{rev}")
                    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", tree], capture_output=True)


def tensors_digest(path: Path) -> str:
    """sha256 of a safetensors file's tensors (names, dtypes, shapes, bytes), not of its header's metadata: a
    checkpoint whose JSON side changed but whose weights did not has the same digest."""
    from safetensors.numpy import load_file

    h = sha256()
    for name, value in sorted(load_file(str(path)).items()):
        h.update(f"{name}|{value.dtype}|{value.shape}".encode())
        h.update(value.tobytes())
    return h.hexdigest()[:16]


def one_run(src: Path, out: Path, preset: str = "quick") -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "spiketext.cli", "run", "--dataset", "sst2", "--preset", preset, "--out", str(out)]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    results = json.loads((out / "results.json").read_text())
    first = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    return {
        "cnn": results["cnn"]["test_acc"],
        "snn_converted": results["snn_converted"]["test_acc"],
        "snn_finetuned": results["snn_finetuned"]["test_acc"],
        # a revision before the headline's rename keeps its first accounting under "ratio"
        "energy_ratio_first_accounting": results["energy"].get("first_accounting", results["energy"]).get("ratio"),
        "energy_ratio_all_ops": results["energy"].get("ratio_all_ops"),
        "first_cnn_epoch_loss": first["train_loss"],
        "notes": results.get("notes", [])[:1],
        # every trained weight, bit for bit: equal digests mean equal models, not just equal rounded accuracies
        "weights_sha256": {f.name: tensors_digest(f) for f in sorted(out.rglob("*.safetensors"))},
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--revisions", nargs="+", default=["WORKTREE"])
    p.add_argument("--runs", type=int, default=2, help="fresh processes per revision")
    p.add_argument("--preset", default="quick", help="the preset run on SST-2 (default quick)")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from spiketext.core.runtime import cpu_description

    report: dict = {"cpu": cpu_description(), "preset": args.preset, "runs": []}
    with revision_trees(args.revisions) as scratch:
        for r in range(args.runs):  # revisions interleaved: A B A B, so drift in the machine hits both alike
            for rev in args.revisions:
                numbers = one_run(source_of(rev, scratch), scratch / f"{rev}-{r}", args.preset)
                row = {"revision": rev, "run": r, **numbers}
                report["runs"].append(row)
                print(json.dumps(row), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    print(f"\n{report['cpu']}\n")
    print("| revision | run | CNN | converted | fine-tuned | E_SNN/E_CNN | first CNN epoch loss | s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in report["runs"]:
        ratio = row["energy_ratio_all_ops"] or float("nan")
        print(
            f"| {row['revision']} | {row['run']} | {100 * row['cnn']:.2f} | {100 * row['snn_converted']:.2f} | "
            f"{100 * row['snn_finetuned']:.2f} | {ratio:.4f} | {row['first_cnn_epoch_loss']:.10f} | "
            f"{row['seconds']:.0f} |"
        )


if __name__ == "__main__":
    main()
