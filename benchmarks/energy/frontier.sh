#!/usr/bin/env bash
# The energy-accuracy frontier of issue 11 (README, "Energy"): the efficient preset's recipe (QCFS CNN, signed
# input, θ = λ, membranes from θ/2, membrane readout) at T = 2, 4, 8 with the regular and the TTFS code and at
# T = 16 with the TTFS code, 3 seeds,
# on SST-2 and MR; one-seed ablations of the signed domain; the efficient preset on data sets it was not tuned on.
# Runs go to runs/frontier/ (checkpoints included); the light files are copied to benchmarks/results/frontier/.
# Usage: SPIKETEXT_DATA_DIR=../shared/data bash benchmarks/energy/frontier.sh
#            [sst2|mr|t16|ablation|preset|untuned|paper_setting|copy ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
ST=${ST:-.venv/bin/spiketext}
RUNS=${RUNS:-runs/frontier}
OUT=benchmarks/results/frontier

frontier() {  # frontier DATASET
  "$ST" sweep --dataset "$1" --preset efficient --grid seed=0,1,2 --grid snn.num_steps=2,4,8 \
    --grid snn.encoder=regular,ttfs --out "$RUNS/$1"
}

t16() {  # T = 16 with the TTFS code (added after the first frontier: MR was short at T = 8), same folders
  for d in sst2 mr; do
    "$ST" sweep --dataset "$d" --preset efficient --grid seed=0,1,2 --grid snn.num_steps=16 \
      --grid snn.encoder=ttfs --out "$RUNS/$d"
  done
}

ablation() {  # the positive domain (e⁺, the paper's) with the same recipe, SST-2, seed 0
  "$ST" sweep --dataset sst2 --preset efficient --set model.input_domain=positive --grid snn.num_steps=4,8 \
    --grid snn.encoder=regular,ttfs --out "$RUNS/sst2_positive"
}

paper_setting() {  # the paper's setting for comparison: the quick preset (Bernoulli code, T = 50), counted the same way
  "$ST" run --dataset sst2 --preset quick --out "$RUNS/quick_sst2"
}

preset() {  # the preset as it is on SST-2, one seed, with its wall time
  /usr/bin/time -v "$ST" run --dataset sst2 --preset efficient --out "$RUNS/efficient_sst2" \
    2> "$RUNS/efficient_sst2.time"
}

untuned() {  # the preset as it is on data sets it was not tuned on, 3 seeds, with the wall time
  for d in subj sst5; do
    /usr/bin/time -v "$ST" run --dataset "$d" --preset efficient --seeds 3 --out "$RUNS/efficient_$d" \
      2> "$RUNS/efficient_$d.time"
  done
}

copy() {  # the light files of every run (no checkpoints, no resume state; of the figures, the sweeps' only)
  mkdir -p "$OUT"
  (cd "$RUNS" && find . \( -name checkpoints -o -name state \) -prune -o -type f \
    \( -name '*.json' -o -name '*.md' -o -name 'sweep.png' -o -name '*.jsonl' -o -name '*.time' \) -print) |
    while read -r f; do mkdir -p "$OUT/$(dirname "$f")" && cp "$RUNS/$f" "$OUT/$f"; done
}

mkdir -p "$RUNS"
for step in "${@:-sst2 mr ablation paper_setting copy}"; do
  for s in $step; do
    case "$s" in
      sst2 | mr) frontier "$s" ;;
      t16) t16 ;;  # the efficient preset itself: the grid (benchmarks/results/grid/efficient_*) has it, 3 seeds
      ablation) ablation ;;
      preset) preset ;;
      paper_setting) paper_setting ;;
      untuned) untuned ;;
      copy) copy ;;
      *) echo "unknown step $s" >&2; exit 2 ;;
    esac
  done
done
