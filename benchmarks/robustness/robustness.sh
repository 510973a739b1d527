#!/usr/bin/env bash
# Issue 25: is the paper SNN's robustness a property of spiking, or of its input noise? TextFooler against the
# quick preset's CNN and SNN (Bernoulli input, T = 50) and the controls, every victim on the same examples (those
# all classify correctly), McNemar's exact test and bootstrap 95% intervals against the CNN:
#   snn                the fine-tuned SNN, expected over 8 fresh draws per query, judged on 15 fresh draws
#   cnn-noise          the same CNN fed the mean of 50 Bernoulli input draws (the SNN's input, no spiking)
#   cnn-noise-matched  the same CNN at the Bernoulli steps whose dev accuracy is closest to the SNN's
#   snn-regular        the SNN's weights with the deterministic regular code (spiking, no input noise)
# Two attackers: the default (stop at a flip the search's own score sees, rechecked once) and the adaptive one
# (--confirm 8/15: the most damaging flip that 8 of 15 fresh draws misclassify).
# Usage: SPIKETEXT_DATA_DIR=../shared/data bash benchmarks/robustness/robustness.sh [sst2|mr ...]   (N=1000 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
ST=${ST:-.venv/bin/spiketext}
N=${N:-1000}
RUNS=${RUNS:-runs/robustness}
OUT=benchmarks/results/robustness
VICTIMS=cnn,snn,cnn-noise,cnn-noise-matched,snn-regular
mkdir -p "$RUNS" "$OUT"
for d in "${@:-sst2}"; do
  # the victims: the quick preset (the paper's setting: Bernoulli input, T = 50), seed 0
  "$ST" run --dataset "$d" --preset quick --out "$RUNS/quick_$d" > "$RUNS/quick_$d.log" 2>&1
  for attacker in default adaptive; do
    extra=""; [ "$attacker" = adaptive ] && extra="--confirm 8/15"
    dest="$OUT/${d}_$attacker"
    [ -f "$dest/attack_textfooler.json" ] && continue
    # shellcheck disable=SC2086
    /usr/bin/time -v "$ST" attack "$RUNS/quick_$d" --attack textfooler --n "$N" --victims "$VICTIMS" $extra \
      --out "$dest" --json "$dest/summary.json" 2> "$RUNS/${d}_$attacker.time"
    gzip -f "$dest/attack_textfooler.csv"
    grep -E "Elapsed|Maximum resident" "$RUNS/${d}_$attacker.time" > "$dest/run.time"
  done
done
