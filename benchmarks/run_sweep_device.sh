#!/usr/bin/env bash
# How benchmarks/results/energy_sweep_*.json were produced (issue 5): energy sweeps on one GPU machine without
# network access, one process per sweep point, all sharing one tailored CNN per data set; optionally the engine
# benchmark first (BENCH=1) and extra full runs (RUNS_EXTRA="preset:dataset:precision ..."). Results are tarred
# into $OUT. POINTS="dataset:T:threshold:input_scale ...". Needs .gpu/ as described in run_presets_device.sh.
set -u
[ -n "${SKIP_PIP:-}" ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src SPIKETEXT_DATA_DIR=$PWD/.gpu/data SPIKETEXT_CACHE_DIR=${CACHE:-/tmp/cache} PYTHONUNBUFFERED=1
export OMP_NUM_THREADS=1  # many processes share 16 cores
DEVICE=${DEVICE:-cuda}; R=${RUNS:-/tmp/sweeps}; LIMIT=${LIMIT:-420}; O=${OUT:-/tmp}; PRESET=${PRESET:-spiketext}
st="python3 -m spiketext.cli"
mkdir -p $R
if [ -n "${BENCH:-}" ]; then
  $st bench --device $DEVICE --json $O/engine_$DEVICE.json > $O/engine_$DEVICE.log 2>&1
  tail -14 $O/engine_$DEVICE.log
fi
start=$(date +%s)
emb() { case $1 in sst2|sst5|mr|subj) echo "--embeddings $PWD/.gpu/glove";; esac; }
common() {
  echo "--dataset $1 $(emb $1) --preset $PRESET --device $DEVICE --set eval_batch_size=1024 --set finetune.init=converted ${EXTRA:-}"
}
for spec in ${RUNS_EXTRA:-}; do  # full runs, side by side with the sweep
  IFS=: read -r preset ds precision <<< "$spec"
  ( /usr/bin/time -v $st -v run --dataset $ds $(emb $ds) --preset $preset --device $DEVICE --precision $precision \
      --set eval_batch_size=1024 --out $R/runs/${preset}_${ds}_$precision ) > $R/run_${preset}_${ds}_$precision.log 2>&1 &
done
datasets=$(for p in $POINTS; do echo ${p%%:*}; done | sort -u)
for ds in $datasets; do
  $st -v train-cnn $(common $ds) --out $R/$ds/cnn > $R/$ds.cnn.log 2>&1 &
  cnn_pids="${cnn_pids:-} $!"
done
wait $cnn_pids
echo "CNNs trained after $(( $(date +%s) - start )) s"
for spec in $POINTS; do
  IFS=: read -r ds T th a <<< "$spec"
  $st -v sweep $(common $ds) --grid snn.num_steps=$T --grid snn.threshold=$th --grid snn.input_scale=$a \
      --cnn $R/$ds/cnn --out $R/$ds > $R/$ds.T$T.th$th.a$a.log 2>&1 &
done
while [ $(( $(date +%s) - start )) -lt $LIMIT ] && [ -n "$(jobs -r)" ]; do sleep 5; done
echo "elapsed $(( $(date +%s) - start )) s; still running: $(jobs -r | wc -l)"
kill $(jobs -p) 2>/dev/null; sleep 2
for ds in $datasets; do $st sweep $(common $ds) --out $R/$ds > $R/$ds.summary.md 2>&1; cat $R/$ds.summary.md; done
cd $R && tar czf $O/sweeps.tgz $(find . -name '*.log' -o -name '*.md' -o -name 'results.json' -o -name 'point.json' \
  -o -name 'energy.json' -o -name 'energy.png' -o -name 'sweep.*' -o -name 'metrics.jsonl' -o -name 'config.json')
grep -H "Elapsed (wall\|Maximum resident" run_*.log 2>/dev/null
for f in runs/*/results.md; do [ -f $f ] && { echo "== $f"; grep -E "^\| (Tailored|SNN)" $f; }; done
grep -l "Traceback" *.log 2>/dev/null | head -3 | xargs -r tail -5
