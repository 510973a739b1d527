#!/usr/bin/env bash
# The reproduction grid or a sweep on a lent GPU machine without network access, through `spiketext reproduce` and
# `spiketext sweep --workers N` (there Ray is not installed, so the jobs run as N processes of that machine; with
# Ray they would be Ray tasks). Results are tarred into $OUT. `bash benchmarks/device/device_pack.sh` fills .gpu/ (git-ignored)
# with what a bare GPU machine lacks: wheels of jieba, gensim and smart_open, the published data files under
# .gpu/data/<name>/, and the GloVe rows of the English data sets under .gpu/glove.
#   reproduce  PRESETS (paper,efficient) × DATASETS (all six) × SEEDS (3): each (preset, data set) group's seeds train
#              as one stacked model (stack_seeds), one job per group: 12 jobs, the English and the Chinese sets as
#              two invocations side by side (the English ones read .gpu/glove), WORKERS processes each. With MPS=1
#              the CUDA multi-process service runs the processes' kernels side by side instead of in turn.
#   sweep      DATASET, GRID ("snn.num_steps=4,8 snn.threshold=0.5,1"), PRESET (spiketext), WORKERS jobs
# The whole thing stops after LIMIT seconds (every process group killed); rerunning resumes the unfinished runs.
# Checked on a CPU without .gpu/: `DEVICE=cpu SKIP_PIP=1 GPU_DATA=../shared/data LIMIT=60 bash benchmarks/device/device.sh`
# must start every run ("runs started: 36"; measured: 36 of 36 within 60 s on 2 cores, through a local Ray).
# Usage: MODE=reproduce SEEDS=3 WORKERS=3 MPS=1 LIMIT=540 bash benchmarks/device/device.sh
set -u
[ -n "${SKIP_PIP:-}" ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src SPIKETEXT_DATA_DIR=${GPU_DATA:-$PWD/.gpu/data} SPIKETEXT_CACHE_DIR=${CACHE:-/tmp/cache}
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.used --format=csv,noheader 2>/dev/null
if [ "${MPS:-0}" = 1 ]; then  # processes share the GPU's multiprocessors instead of taking turns
  export CUDA_MPS_PIPE_DIRECTORY=/tmp/mps CUDA_MPS_LOG_DIRECTORY=/tmp/mps-log; mkdir -p /tmp/mps /tmp/mps-log
  nvidia-cuda-mps-control -d && echo "MPS started"
fi
R=${RUNS:-/tmp/runs}; O=${OUT:-/tmp}; LIMIT=${LIMIT:-540}; mkdir -p "$R"
st="${PY:-python3} -m spiketext.cli -v"
common=(--set "device=${DEVICE:-cuda}" --set eval_batch_size=1024 --set stack_seeds=true)
GLOVE=${GLOVE-$PWD/.gpu/glove}  # GLOVE= (empty): the installed GloVe package (a CPU check)
emb_en=(); [ -n "$GLOVE" ] && emb_en=(--set "data.embeddings=$GLOVE")
n_presets=$(echo "${PRESETS:-paper,efficient}" | tr , '\n' | grep -c .)
start=$(date +%s)
case "${MODE:-reproduce}" in
  reproduce)
    en=$(echo "${DATASETS:-mr,sst2,sst5,subj,chnsenti,waimai}" | tr , '\n' | grep -E '^(mr|sst2|sst5|subj)$' | paste -sd,)
    zh=$(echo "${DATASETS:-mr,sst2,sst5,subj,chnsenti,waimai}" | tr , '\n' | grep -E '^(chnsenti|waimai)$' | paste -sd,)
    args=(reproduce --presets "${PRESETS:-paper,efficient}" --seeds "${SEEDS:-3}" "${common[@]}" --out "$R")
    # one process per (preset, data set) group unless WORKERS says otherwise: every group runs from the start
    w_en=${WORKERS:-$(( n_presets * $(echo "$en" | tr , '\n' | grep -c .) ))}
    w_zh=${WORKERS:-$(( n_presets * $(echo "$zh" | tr , '\n' | grep -c .) ))}
    [ -n "$en" ] && setsid $st "${args[@]}" --workers "$w_en" --datasets "$en" "${emb_en[@]}" > "$O/reproduce_en.log" 2>&1 &
    [ -n "$zh" ] && setsid $st "${args[@]}" --workers "$w_zh" --datasets "$zh" > "$O/reproduce_zh.log" 2>&1 &
    ;;
  sweep)
    grid=(); for g in ${GRID:?GRID=\"key=v1,v2 ...\"}; do grid+=(--grid "$g"); done
    emb=(); case ${DATASET:-sst2} in sst2|sst5|mr|subj) [ -n "$GLOVE" ] && emb=(--embeddings "$GLOVE");; esac
    setsid $st sweep --dataset "${DATASET:-sst2}" "${emb[@]}" --preset "${PRESET:-spiketext}" --workers "${WORKERS:-6}" \
      "${common[@]}" "${grid[@]}" \
      --out "$R/sweep_${DATASET:-sst2}" > "$O/sweep.log" 2>&1 &
    ;;
  *) echo "MODE is reproduce or sweep" >&2; exit 2 ;;
esac
while [ $(( $(date +%s) - start )) -lt "$LIMIT" ] && [ -n "$(jobs -r)" ]; do sleep 5; done
echo "elapsed $(( $(date +%s) - start )) s; still running: $(jobs -r | wc -l)"
for pid in $(jobs -p); do kill -KILL -- "-$pid" 2>/dev/null; done; sleep 1
[ "${MPS:-0}" = 1 ] && echo quit | nvidia-cuda-mps-control
ray=$(dirname "$(command -v "${PY:-python3}")")/ray  # where Ray is installed (not on the GPU machine) its workers
[ -x "$ray" ] && "$ray" stop --force > /dev/null 2>&1  # outlive the driver's process group
echo "runs started: $(find "$R" -name config.json -path '*seed*' | wc -l)"
[ "${MODE:-reproduce}" = reproduce ] && ${PY:-python3} benchmarks/reproduce/method_table.py "$R" --json "$R/method_all.json" > "$R/method_all.md"
cd "$R" && tar czf "$O/runs.tgz" $(find . -name '*.log' -o -name 'results.*' -o -name 'metrics.jsonl' -o -name 'config.json' \
  -o -name 'data.json' -o -name 'curves.png' -o -name 'method*' -o -name 'sweep.*' -o -name 'point.json' -o -name 'energy.*')
cat "$R"/method_all.md 2>/dev/null || cat "$R"/sweep_*/sweep.md 2>/dev/null
tail -3 "$O"/*.log
