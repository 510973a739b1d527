#!/usr/bin/env bash
# The frontier's next step under the reviewer's accounting (issue 23): a dead zone in the input, |z| < δ·clip sends
# nothing (data.dead_zone; the CNN trains on the same zeroed values), on the efficient preset (T = 16, signed TTFS),
# δ = 0.1, 0.2, 0.3 (about 30%, 51%, 68% of the embedding units silent on SST-2), 3 seeds, SST-2 and MR, and
# δ = 0.1, 0.2 at T = 8 (t8_sst2, t8_mr). δ = 0 is
# the efficient preset itself (benchmarks/results/grid/efficient_*). Runs go to runs/dead_zone/ (checkpoints
# included); the light files are copied to benchmarks/results/dead_zone/. The table: benchmarks/energy/frontier_table.py.
# Usage: SPIKETEXT_DATA_DIR=../shared/data bash benchmarks/energy/dead_zone.sh [sst2 mr t8_sst2 t8_mr copy]
set -euo pipefail
cd "$(dirname "$0")/../.."
ST=${ST:-.venv/bin/spiketext}
RUNS=${RUNS:-runs/dead_zone}
OUT=benchmarks/results/dead_zone

sweep() {  # sweep DATASET
  "$ST" sweep --dataset "$1" --preset efficient --grid seed=0,1,2 --grid data.dead_zone=0.1,0.2,0.3 \
    --in-process --out "$RUNS/$1"
}

t8() {  # t8 DATASET: the dead zone with half the steps (T = 8: fewer held-current and membrane updates)
  "$ST" sweep --dataset "$1" --preset efficient --set snn.num_steps=8 --grid seed=0,1,2 \
    --grid data.dead_zone=0.1,0.2 --in-process --out "$RUNS/t8_$1"
}

copy() {
  mkdir -p "$OUT"
  (cd "$RUNS" && find . \( -name checkpoints -o -name state \) -prune -o -type f \
    \( -name '*.json' -o -name '*.md' -o -name 'sweep.png' -o -name '*.jsonl' \) -print) |
    while read -r f; do mkdir -p "$OUT/$(dirname "$f")" && cp "$RUNS/$f" "$OUT/$f"; done
}

mkdir -p "$RUNS"
for s in ${@:-sst2 mr t8_sst2 t8_mr copy}; do
  case "$s" in
    sst2 | mr) sweep "$s" ;;
    t8_sst2 | t8_mr) t8 "${s#t8_}" ;;
    copy) copy ;;
    *) echo "unknown step $s" >&2; exit 2 ;;
  esac
done
