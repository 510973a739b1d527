#!/usr/bin/env bash
# What this CPU class gets, one job after another on an otherwise idle machine (pause any background work first):
# the README's main job (the efficient preset on SST-2) with precision auto and fp32 (auto is fp32 where the CPU has
# no bf16 units: then one run), optionally the quick preset (QUICK=1) and the transformer-quick preset
# (TRANSFORMER=1), and the engine benchmark. Writes benchmarks/results/cpu/$CLASS/ (CLASS: a short name for the CPU,
# e.g. amx, avx512bf16, avx2; lscpu's model name and flags are recorded beside the numbers). To time the AVX2 path
# of a bigger CPU: ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2 CLASS=avx2-capped.
# Usage: CLASS=avx2 SPIKETEXT_DATA_DIR=../shared/data bash benchmarks/device/cpu_class.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ST=${ST:-.venv/bin/spiketext}
OUT=benchmarks/results/cpu/${CLASS:?name the CPU class, e.g. CLASS=amx}
RUNS=${RUNS:-runs/cpu_class}
mkdir -p "$OUT" "$RUNS"
lscpu | grep -E "Model name|^CPU\(s\)|Flags" | sed -E 's/^(Flags:).*/\1 '"$(lscpu | grep -o -w -E 'amx_bf16|avx512_bf16|avx512f|avx2' | sort -u | tr '\n' ' ')"'/' > "$OUT/lscpu.txt"
env | grep -E "^(ONEDNN_MAX_CPU_ISA|MKL_ENABLE_INSTRUCTIONS|ATEN_CPU_CAPABILITY)=" > "$OUT/isa_caps.txt" || true
native_bf16=$(.venv/bin/python -c "from spiketext.core.runtime import bf16_supported; import torch; print(int(bf16_supported(torch.device('cpu'))))")
timed() {  # timed NAME ARGS...: one run into a fresh folder, its time and memory, its results
  local name=$1; shift
  [ -f "$OUT/$name.time" ] && return 0
  rm -rf "$RUNS/$name"
  /usr/bin/time -v "$ST" run "$@" --out "$RUNS/$name" > "$OUT/$name.log" 2> "$OUT/$name.time.full"
  grep -E "Elapsed|Maximum resident" "$OUT/$name.time.full" > "$OUT/$name.time" && rm "$OUT/$name.time.full"
  cp "$RUNS/$name/results.json" "$OUT/$name.results.json"
}
for precision in auto fp32; do
  [ "$precision" = fp32 ] && [ "$native_bf16" = 0 ] && continue  # auto already ran in fp32
  timed "efficient_sst2_$precision" --dataset sst2 --preset efficient --precision "$precision"
  [ "${QUICK:-0}" = 1 ] && timed "quick_sst2_$precision" --dataset sst2 --preset quick --precision "$precision"
done
[ "${TRANSFORMER:-0}" = 1 ] && timed transformer_quick_sst2 --dataset sst2 --preset transformer-quick
for precision in auto fp32; do
  [ -f "$OUT/engine_$precision.json" ] || "$ST" bench --precision "$precision" --json "$OUT/engine_$precision.json" > "$OUT/engine_$precision.md"
done
echo "wrote $OUT"
