#!/usr/bin/env bash
# Issue 39: robustness under the reviewer's protocol — every final sentence judged on 15 evaluation draws (and by
# one draw: the deployed inference), 20 draws per query for a stochastic victim, the adaptive attacker (flips
# confirmed 8 of 15), the report recording its search settings — with TextFooler, PWWS and the white-box gradient
# attack, on every seed's models, N test examples (default 1,000) all victims classify correctly.
#   efficient DATASET SEED ATTACK   the efficient preset's CNN and SNN (deterministic) from the grid (runs/grid)
#   noisy DATASET SEED ATTACK       the efficient preset with input noise σ = 0.1 (trained here into runs/noise if
#                                   absent), its CNN, SNN and every control: the CNN fed the same noise, the same at
#                                   σ matched on dev, the SNN without its noise
#   transformer DATASET SEED ATTACK the transformer run's ANN and QANN (runs/tgrid), and the SNN by transfer of their
#                                   adversarial sentences (transformer_transfer.py); VICTIMS=ann,qann,snn with a
#                                   small N attacks the SNN directly (T forward passes of MiniLM per query)
#   table                           the table of all of them (benchmarks/robustness/reviewer_table.py)
# Results: benchmarks/results/robustness/reviewer/<kind>_<dataset>_seed<S>/attack_<ATTACK>.{json,md,csv.gz}.
# Usage: SPIKETEXT_DATA_DIR=../shared/data [N=1000] bash benchmarks/robustness/reviewer.sh STEP ARGS...
set -euo pipefail
cd "$(dirname "$0")/../.."
ST=${ST:-.venv/bin/spiketext}
OUT=benchmarks/results/robustness/reviewer

attack() {  # attack KIND RUN DATASET SEED ATTACK VICTIMS
  local dest="$OUT/$1_$3_seed$4"
  [ -f "$dest/attack_$5.json" ] && return 0
  mkdir -p "$dest"
  local extra=(); [ "$1" = transformer ] || extra=(--confirm 8/15)
  /usr/bin/time -v "$ST" attack "$2" --attack "$5" --n "${N:-1000}" --victims "$6" --seed "$4" \
    "${extra[@]}" --out "$dest" --overwrite 2> "$dest/attack_$5.time"
  gzip -f "$dest/attack_$5.csv"
  grep -E "Elapsed|Maximum resident" "$dest/attack_$5.time" > "$dest/attack_$5.run.time" && rm "$dest/attack_$5.time"
}

noisy_run() {  # noisy_run DATASET SEED
  local dest="runs/noise/$1/sigma0.1/seed$2"
  [ -f "$dest/results.json" ] && grep -q '"snn_finetuned"' "$dest/results.json" && return 0
  mkdir -p "$(dirname "$dest")"
  "$ST" run --dataset "$1" --preset efficient --seed "$2" --set snn.input_noise=0.1 --set test_repeats=5 \
    --set finetune.dev_repeats=3 --out "$dest" > "$dest.log" 2>&1
}

case "${1:-}" in
  efficient) attack efficient "runs/grid/efficient_$2/seed$3" "$2" "$3" "$4" cnn,snn ;;
  noisy) noisy_run "$2" "$3"
         attack noisy "runs/noise/$2/sigma0.1/seed$3" "$2" "$3" "$4" cnn,snn,cnn-noise,cnn-noise-matched,snn-regular ;;
  transformer) attack transformer "runs/tgrid/$2/seed$3" "$2" "$3" "$4" "${VICTIMS:-ann,qann}"
               .venv/bin/python benchmarks/robustness/transformer_transfer.py "runs/tgrid/$2/seed$3" \
                 "$OUT/transformer_$2_seed$3/attack_$4.csv.gz" ;;
  table) .venv/bin/python benchmarks/robustness/reviewer_table.py ;;
  *) echo "usage: reviewer.sh efficient|noisy|transformer DATASET SEED ATTACK | table" >&2; exit 2 ;;
esac
