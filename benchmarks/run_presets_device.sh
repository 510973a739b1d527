#!/usr/bin/env bash
# How benchmarks/results/method was produced: presets × data sets in parallel on one GPU machine without
# network access, results tarred into $OUT. Args: preset:dataset[:precision] ... With BENCH=1 the engine
# benchmark (`spiketext bench`) runs first, alone on the device, and writes $OUT/engine_<device>.json. The folder .gpu/ (git-ignored) holds
# wheels of jieba, gensim and smart_open, the published data files under .gpu/data/<name>/, and the GloVe rows
# of the English data sets made with `spiketext data export-embeddings mr sst2 sst5 subj --out .gpu/glove`.
set -u
[ -n "${SKIP_PIP:-}" ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src SPIKETEXT_DATA_DIR=$PWD/.gpu/data SPIKETEXT_CACHE_DIR=${CACHE:-/tmp/cache} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.used --format=csv,noheader 2>/dev/null
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.is_available())"
LIMIT=${LIMIT:-500}; DEVICE=${DEVICE:-cuda}
R=${RUNS:-/tmp/runs}; mkdir -p $R
if [ -n "${BENCH:-}" ]; then
  python3 -m spiketext.cli bench --device $DEVICE --json ${OUT:-/tmp}/engine_$DEVICE.json 2>&1 | tee ${OUT:-/tmp}/engine_$DEVICE.log
fi
start=$(date +%s)
for spec in "$@"; do
  IFS=: read -r preset ds precision <<< "$spec"; precision=${precision:-auto}
  name=${preset}_$ds; [ "$precision" = auto ] || name=${name}_$precision
  emb=""; case $ds in sst2|sst5|mr|subj) emb="--embeddings $PWD/.gpu/glove";; esac
  ( /usr/bin/time -v python3 -m spiketext.cli -v run --dataset $ds $emb --preset $preset --out $R/$name \
      --device $DEVICE --precision $precision --set eval_batch_size=1024 ${EXTRA:-} ) > $R/$name.log 2>&1 &
done
while [ $(( $(date +%s) - start )) -lt $LIMIT ] && [ -n "$(jobs -r)" ]; do sleep 5; done
echo "elapsed $(( $(date +%s) - start )) s; still running: $(jobs -r | wc -l)"
kill $(jobs -p) 2>/dev/null; sleep 1
cd $R && tar czf ${OUT:-/tmp}/runs.tgz $(find . -name '*.log' -o -name 'results.*' -o -name 'metrics.jsonl' -o -name 'config.json' -o -name 'data.json' -o -name 'curves.png')
for f in */results.md; do echo "== $f"; grep -E "^\| (Tailored|SNN)" $f; done
for f in */metrics.jsonl; do echo "$f $(wc -l < $f) epochs, last: $(tail -1 $f | cut -c1-120)"; done
grep -H "Maximum resident\|Elapsed (wall" *.log
grep -l "Traceback" *.log | head -3 | xargs -r tail -5
