#!/usr/bin/env bash
# Issue 25, beyond the paper: is there a cheap model that keeps the input noise that protects the paper's SNN?
# The efficient preset (QCFS conversion, signed TTFS input, T = 16, ~0.2x the CNN's energy) with Gaussian input
# noise σ added to every word unit before coding (snn.input_noise; the CNN trains on the same dithered input),
# σ = 0.1, 0.2, 0.3 on seed 0, then 3 seeds of the σ chosen on dev; test accuracy over 5 draws.
# Runs go to runs/noise/ (checkpoints included); light files are copied to benchmarks/results/noise/.
# `attack DATASET SIGMA`: TextFooler, N = 1,000, the adaptive attacker (--confirm 8/15), on seed 0's CNN, its
# noisy SNN and the controls (the CNN fed the same dithered input, σ matched on dev, the SNN without noise), as
# benchmarks/robustness/robustness.sh does for the paper's Bernoulli SNN; written to results/robustness/DATASET-noiseSIGMA_adaptive.
# `pos DATASET SIGMA`: the same attack with WordNet installed (Debian's wordnet-base), so that every substitute
# shares a part of speech with the word it replaces (results/robustness/DATASET-noiseSIGMA-pos_adaptive).
# `six SIGMA`: seed 0 of the four other data sets at σ, and the same TextFooler attack on each.
# `cheap SIGMA`: DeepWordBug, TextBugger and PWWS on SST-2 and MR, the same protocol (N = 1,000, every control).
# `draws SIGMA`: TextFooler's adaptive attacker with 8, 32 and 128 draws per query (SST-2, N = 200, CNN and SNN).
# Usage: SPIKETEXT_DATA_DIR=../shared/data bash benchmarks/robustness/noise.sh [select DATASET | seeds DATASET SIGMA |
#        attack DATASET SIGMA [ATTACK] | pos DATASET SIGMA | six SIGMA | cheap SIGMA | draws SIGMA | copy]
set -euo pipefail
cd "$(dirname "$0")/../.."
ST=${ST:-.venv/bin/spiketext}
RUNS=${RUNS:-runs/noise}
OUT=benchmarks/results/noise

one() {  # one DATASET SIGMA SEED
  local dest="$RUNS/$1/sigma$2/seed$3"
  [ -f "$dest/results.json" ] && grep -q '"snn_finetuned"' "$dest/results.json" && return 0
  "$ST" run --dataset "$1" --preset efficient --seed "$3" --set "snn.input_noise=$2" \
    --set test_repeats=5 --set finetune.dev_repeats=3 --out "$dest" > "$dest.log" 2>&1
}

attack() {  # attack DATASET SIGMA [ATTACK TAG VICTIMS EXTRA...]
  local a=${3:-textfooler}
  local name="$1-noise$2${4:-}_adaptive"
  local dest="benchmarks/results/robustness/$name"
  # textfooler's files keep their first names (summary.json, run.time); other attacks add their name
  local tag=""; [ "$a" = textfooler ] || tag="_$a"
  [ -f "$dest/attack_$a.json" ] && return 0
  /usr/bin/time -v "$ST" attack "$RUNS/$1/sigma$2/seed0" --attack "$a" --n "${N:-1000}" \
    --victims "${5:-cnn,snn,cnn-noise,cnn-noise-matched,snn-regular}" --confirm 8/15 --out "$dest" \
    --json "$dest/summary$tag.json" "${@:6}" 2> "$RUNS/$name$tag.time"
  gzip -f "$dest/attack_$a.csv"
  grep -E "Elapsed|Maximum resident" "$RUNS/$name$tag.time" > "$dest/run$tag.time"
}

copy() {
  mkdir -p "$OUT"
  (cd "$RUNS" && find . \( -name checkpoints -o -name state \) -prune -o -type f \
    \( -name '*.json' -o -name '*.md' -o -name '*.jsonl' \) -print) |
    while read -r f; do mkdir -p "$OUT/$(dirname "$f")" && cp "$RUNS/$f" "$OUT/$f"; done
}

mkdir -p "$RUNS"
case "${1:-}" in
  select) mkdir -p "$RUNS/$2"; for s in 0.1 0.2 0.3; do mkdir -p "$RUNS/$2/sigma$s"; one "$2" "$s" 0; done ;;
  seeds) for seed in 0 1 2; do mkdir -p "$RUNS/$2/sigma$3"; one "$2" "$3" "$seed"; done ;;
  attack) attack "$2" "$3" ;;
  pos) ls /usr/share/wordnet/data.noun > /dev/null; attack "$2" "$3" textfooler -pos cnn,snn,cnn-noise,snn-regular ;;
  # the other data sets: seed 0 at σ (chosen on SST-2 dev), then TextFooler under every control
  six) for d in sst5 subj chnsenti waimai; do mkdir -p "$RUNS/$d/sigma$2"; one "$d" "$2" 0; done
       for d in sst5 subj chnsenti waimai; do attack "$d" "$2"; done ;;
  # the cheap attacks on SST-2 and MR (WordNet installed: substitutes share a part of speech with the word)
  cheap) ls /usr/share/wordnet/data.noun > /dev/null
         for a in deepwordbug textbugger pwws; do for d in sst2 mr; do attack "$d" "$2" "$a"; done; done ;;
  copy) copy ;;
  # draws per query 8 / 32 / 128 for the adaptive attacker's expectation (SST-2, the first 200 test examples)
  draws) for r in 8 32 128; do N=${N:-200} attack sst2 "$2" textfooler "-draws$r" cnn,snn --draws "$r"; done ;;
  *) echo "usage: noise.sh select DATASET | seeds DATASET SIGMA | attack DATASET SIGMA [ATTACK] | pos DATASET SIGMA |" \
          "six SIGMA | cheap SIGMA | draws SIGMA | copy" >&2; exit 2 ;;
esac
