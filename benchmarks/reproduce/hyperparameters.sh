#!/usr/bin/env bash
# Issue 12 on 2 CPU cores: (1) the paper preset's SST-2 CNN trained as the authors trained it (200 epochs, no
# weight decay, dev-selected), seed 0, with its curves; (2) the paper's hyper-parameter studies that were missing,
# membrane decay β (IF vs LIF) and neurons per class, on SST-2 with the quick preset's budget (one seed: the
# six-data-set, 3-seed table needs the device machine).
# (3) the whole paper preset on SST-2, seed 0; (4) seeds 1 and 2 beside it (paper_seeds; ~35 min per seed).
# Usage: SPIKETEXT_DATA_DIR=../shared/data bash benchmarks/reproduce/hyperparameters.sh [paper_cnn|paper_run|beta|neurons|copy ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
ST=${ST:-.venv/bin/spiketext}
RUNS=${RUNS:-runs/hyperparameters}
OUT=benchmarks/results/hyperparameters

paper_cnn() {
  /usr/bin/time -v "$ST" train-cnn --dataset sst2 --preset paper --out "$RUNS/paper_sst2" 2> "$RUNS/paper_sst2.time"
}

paper_run() {  # the whole paper preset on SST-2 (CNN, conversion, 30 SNN epochs at T = 50), seed 0
  /usr/bin/time -v "$ST" run --dataset sst2 --preset paper --out "$RUNS/paper_run_sst2" 2> "$RUNS/paper_run_sst2.time"
}

paper_seeds() {  # seeds 1 and 2 of the whole paper preset on SST-2 beside seed 0 (paper_run's folder, resumed)
  mkdir -p "$RUNS/paper3_sst2"
  [ -d "$RUNS/paper3_sst2/seed0" ] || cp -r "$RUNS/paper_run_sst2" "$RUNS/paper3_sst2/seed0"
  /usr/bin/time -v "$ST" run --dataset sst2 --preset paper --seeds 3 --out "$RUNS/paper3_sst2" \
    2> "$RUNS/paper3_sst2.time"
}

beta() {  # one CNN shared by every β
  "$ST" sweep --dataset sst2 --preset quick --set finetune.init=data_p999 --grid snn.beta=1.0,0.99,0.95,0.9,0.8 \
    --out "$RUNS/beta_sst2"
}

neurons() {  # each n trains its own CNN (the output layer has n·C neurons)
  "$ST" sweep --dataset sst2 --preset quick --set finetune.init=data_p999 --grid model.neurons_per_class=1,5,10,20 \
    --out "$RUNS/neurons_sst2"
}

copy() {
  mkdir -p "$OUT"
  (cd "$RUNS" && find . \( -name checkpoints -o -name state \) -prune -o -type f \
    \( -name '*.json' -o -name '*.md' -o -name 'sweep.png' -o -path './paper_sst2/curves.png' -o -name '*.jsonl' \
    -o -name '*.time' \) -print) |
    while read -r f; do mkdir -p "$OUT/$(dirname "$f")" && cp "$RUNS/$f" "$OUT/$f"; done
}

mkdir -p "$RUNS"
for step in "${@:-paper_cnn beta neurons copy}"; do
  for s in $step; do
    case "$s" in
      paper_cnn) paper_cnn ;;
      paper_run) paper_run ;;
      paper_seeds) paper_seeds ;;
      beta) beta ;;
      neurons) neurons ;;
      copy) copy ;;
      *) echo "unknown step $s" >&2; exit 2 ;;
    esac
  done
done
