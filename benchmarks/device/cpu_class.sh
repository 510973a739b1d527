#!/usr/bin/env bash
# What this CPU class gets: the engine benchmark (precision auto and fp32) and the quick preset's SST-2 run (auto and
# fp32), one after another on an otherwise idle machine. Writes benchmarks/results/cpu/$CLASS/ (CLASS: a short name
# for the CPU, e.g. amx, avx512bf16, avx2; lscpu's model name and flags are recorded beside the numbers).
# Usage: CLASS=amx SPIKETEXT_DATA_DIR=../shared/data bash benchmarks/device/cpu_class.sh     (~10 min on an AMX Xeon)
set -euo pipefail
cd "$(dirname "$0")/../.."
ST=${ST:-.venv/bin/spiketext}
OUT=benchmarks/results/cpu/${CLASS:?name the CPU class, e.g. CLASS=amx}
RUNS=${RUNS:-runs/cpu_class}
mkdir -p "$OUT" "$RUNS"
lscpu | grep -E "Model name|^CPU\(s\)|Flags" | sed -E 's/^(Flags:).*/\1 '"$(lscpu | grep -o -w -E 'amx_bf16|avx512_bf16|avx512f|avx2' | sort -u | tr '\n' ' ')"'/' > "$OUT/lscpu.txt"
for precision in auto fp32; do
  [ -f "$OUT/engine_$precision.json" ] || "$ST" bench --precision "$precision" --json "$OUT/engine_$precision.json" > "$OUT/engine_$precision.md"
  if [ ! -f "$OUT/quick_sst2_$precision.time" ]; then
    rm -rf "$RUNS/quick_sst2_$precision"
    /usr/bin/time -v "$ST" run --dataset sst2 --preset quick --precision "$precision" --out "$RUNS/quick_sst2_$precision" \
      > "$OUT/quick_sst2_$precision.log" 2> "$OUT/quick_sst2_$precision.time"
    cp "$RUNS/quick_sst2_$precision/results.json" "$OUT/quick_sst2_$precision.results.json"
  fi
done
echo "wrote $OUT"
