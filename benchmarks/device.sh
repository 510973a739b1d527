#!/usr/bin/env bash
# The reproduction grid or a sweep on a lent GPU machine without network access, through `spiketext reproduce` and
# `spiketext sweep --workers N` (there Ray is not installed, so the jobs run as N processes of that machine; with
# Ray they would be Ray tasks). Replaces run_presets_device.sh and run_sweep_device.sh (in git history, last at
# commit 26d5994), which started one shell process per run. Results are tarred into $OUT.
# .gpu/ (git-ignored) holds wheels of jieba, gensim and smart_open, the published data files under .gpu/data/<name>/,
# and the GloVe rows of the English data sets (`spiketext data export-embeddings mr sst2 sst5 subj --out .gpu/glove`:
# the 77 MB GloVe package does not fit in what a device run may carry).
#   reproduce  PRESETS (paper,efficient) × DATASETS (all six) × SEEDS (3): the English and the Chinese sets as two
#              invocations side by side (the English ones read .gpu/glove), WORKERS jobs each
#   sweep      DATASET, GRID ("snn.num_steps=4,8 snn.threshold=0.5,1"), PRESET (spiketext), WORKERS jobs
# The whole thing stops after LIMIT seconds (every process group killed); rerunning resumes the unfinished runs.
# Usage: MODE=reproduce SEEDS=3 WORKERS=6 LIMIT=540 bash benchmarks/device.sh
set -u
[ -n "${SKIP_PIP:-}" ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src SPIKETEXT_DATA_DIR=$PWD/.gpu/data SPIKETEXT_CACHE_DIR=${CACHE:-/tmp/cache} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.used --format=csv,noheader 2>/dev/null
R=${RUNS:-/tmp/runs}; O=${OUT:-/tmp}; W=${WORKERS:-6}; LIMIT=${LIMIT:-540}; mkdir -p "$R"
st="python3 -m spiketext.cli -v"
common=(--workers "$W" --set "device=${DEVICE:-cuda}" --set eval_batch_size=1024)
start=$(date +%s)
case "${MODE:-reproduce}" in
  reproduce)
    en=$(echo "${DATASETS:-mr,sst2,sst5,subj,chnsenti,waimai}" | tr , '\n' | grep -E '^(mr|sst2|sst5|subj)$' | paste -sd,)
    zh=$(echo "${DATASETS:-mr,sst2,sst5,subj,chnsenti,waimai}" | tr , '\n' | grep -E '^(chnsenti|waimai)$' | paste -sd,)
    args=(reproduce --presets "${PRESETS:-paper,efficient}" --seeds "${SEEDS:-3}" "${common[@]}" --out "$R")
    [ -n "$en" ] && setsid $st "${args[@]}" --datasets "$en" --set "data.embeddings=$PWD/.gpu/glove" > "$O/reproduce_en.log" 2>&1 &
    [ -n "$zh" ] && setsid $st "${args[@]}" --datasets "$zh" > "$O/reproduce_zh.log" 2>&1 &
    ;;
  sweep)
    grid=(); for g in ${GRID:?GRID=\"key=v1,v2 ...\"}; do grid+=(--grid "$g"); done
    emb=(); case ${DATASET:-sst2} in sst2|sst5|mr|subj) emb=(--embeddings "$PWD/.gpu/glove");; esac
    setsid $st sweep --dataset "${DATASET:-sst2}" "${emb[@]}" --preset "${PRESET:-spiketext}" "${common[@]}" "${grid[@]}" \
      --out "$R/sweep_${DATASET:-sst2}" > "$O/sweep.log" 2>&1 &
    ;;
  *) echo "MODE is reproduce or sweep" >&2; exit 2 ;;
esac
while [ $(( $(date +%s) - start )) -lt "$LIMIT" ] && [ -n "$(jobs -r)" ]; do sleep 5; done
echo "elapsed $(( $(date +%s) - start )) s; still running: $(jobs -r | wc -l)"
for pid in $(jobs -p); do kill -KILL -- "-$pid" 2>/dev/null; done; sleep 1
[ "${MODE:-reproduce}" = reproduce ] && python3 benchmarks/method_table.py "$R" --json "$R/method_all.json" > "$R/method_all.md"
cd "$R" && tar czf "$O/runs.tgz" $(find . -name '*.log' -o -name 'results.*' -o -name 'metrics.jsonl' -o -name 'config.json' \
  -o -name 'data.json' -o -name 'curves.png' -o -name 'method*' -o -name 'sweep.*' -o -name 'point.json' -o -name 'energy.*')
cat "$R"/method_all.md 2>/dev/null || cat "$R"/sweep_*/sweep.md 2>/dev/null
tail -3 "$O"/*.log
