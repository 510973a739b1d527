#!/usr/bin/env bash
# The paper's table on CPU cores, in the background: the efficient and paper presets × six data sets × 3 seeds,
# one run at a time, niced, resumable. Each finished run's result files (no checkpoints) are copied to
# benchmarks/results/grid/<preset>_<dataset>/seed<S>/ and committed at once; after a group's third seed its mean ±
# std over seeds is written beside them (from the committed files) and committed; then the method table.
#
# Every run is fp32 (--precision fp32), so that seeds run on different CPU classes (AMX, AVX-512, AVX2) in
# different sessions are one computation. The paper preset's SST-2 and MR runs add the ablation rows (--baselines).
# A run already committed is skipped; an interrupted one resumes from its folder under RUNS (if it is still there).
#
# SRC: the checkout the code (and this script) run from; REPO: the checkout that receives the results and commits.
# Run it from a pinned worktree so that edits made while the grid runs cannot reach it:
#   git worktree add /work/grid HEAD
#   REPO=$PWD SRC=/work/grid SPIKETEXT_DATA_DIR=../shared/data nohup nice -n 10 bash /work/grid/benchmarks/reproduce/grid_cpu.sh \
#     > runs/grid.log 2>&1 &
# Other settings: GRID="efficient:sst2 paper:mr ..." (the groups, in order), SEEDS="0 1 2", COMMIT=0 (copy only),
# ORDER=seed (every group's first seed before any group's second: each cell gets a first number early).
set -uo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}  # results and commits go here
SRC=${SRC:-$REPO}
PY=${PY:-$REPO/.venv/bin/python}
RUNS=${RUNS:-$REPO/runs/grid}
OUT=$REPO/benchmarks/results/grid
COMMIT=${COMMIT:-1}
SEEDS=${SEEDS:-"0 1 2"}
GRID=${GRID:-"efficient:sst2 efficient:mr efficient:sst5 efficient:subj efficient:chnsenti efficient:waimai
  paper:sst2 paper:mr paper:sst5 paper:subj paper:chnsenti paper:waimai"}
export PYTHONPATH="$SRC/src"

extra_args() {  # $1 preset, $2 data set
  [ "$1" = paper ] && { [ "$2" = sst2 ] || [ "$2" = mr ]; } && echo "--baselines"
}

commit() {  # commit only the paths $1 (other staged changes stay staged); retry while another git holds the index
  [ "$COMMIT" = 1 ] || return 0
  local paths; read -r -a paths <<< "$1"
  for _ in $(seq 30); do
    if git -C "$REPO" add -- "${paths[@]}" 2>/dev/null && git -C "$REPO" commit -q -m "$2" -- "${paths[@]}" 2>/dev/null
    then
      return 0
    fi
    git -C "$REPO" diff --quiet HEAD -- "${paths[@]}" 2>/dev/null &&
      [ -z "$(git -C "$REPO" ls-files -o -- "${paths[@]}")" ] && return 0
    sleep 10
  done
  echo "grid: could not commit $1" >&2
}

copy_results() {  # $1 run folder, $2 destination: the files the table and a reviewer read, never checkpoints
  mkdir -p "$2"
  for f in config.json inputs.json data.json results.json results.md metrics.jsonl energy.json energy.md; do
    [ -f "$1/$f" ] && cp "$1/$f" "$2/$f"
  done
  return 0
}

run_one() {  # $1 preset, $2 data set, $3 seed: one run, its result files copied and committed
  local preset=$1 dataset=$2 seed=$3 name="$1_$2"
  local dest="$OUT/$name/seed$seed"
  [ -f "$dest/run.time" ] && return 0
  echo "grid: $name seed $seed started $(date -u +%FT%TZ)"
  mkdir -p "$RUNS/$name"
  # shellcheck disable=SC2046
  if /usr/bin/time -v "$PY" -m spiketext.cli run --preset "$preset" --dataset "$dataset" --seed "$seed" \
    --precision fp32 $(extra_args "$preset" "$dataset") --out "$RUNS/$name/seed$seed" \
    2> "$RUNS/$name/seed$seed.time"; then
    copy_results "$RUNS/$name/seed$seed" "$dest"
    grep -E "Elapsed|Maximum resident" "$RUNS/$name/seed$seed.time" > "$dest/run.time"
    lscpu | grep -E "^Model name" >> "$dest/run.time"
    commit "$dest" "grid: $name seed $seed"
    echo "grid: $name seed $seed done $(date -u +%FT%TZ)"
  else
    echo "grid: $name seed $seed FAILED (see $RUNS/$name/seed$seed.time)" >&2
    tail -5 "$RUNS/$name/seed$seed.time" >&2
  fi
}

summarize() {  # $1 preset, $2 data set: the group's mean ± std over seeds from the committed per-seed files
  local preset=$1 dataset=$2 name="$1_$2"
  [ "$(ls "$OUT/$name"/seed*/run.time 2>/dev/null | wc -l)" -ge 3 ] && [ ! -f "$OUT/$name/results.json" ] || return 0
  "$PY" "$SRC/benchmarks/reproduce/grid_summary.py" "$OUT/$name"
  commit "$OUT/$name" "grid: $name mean over seeds"
  "$PY" "$SRC/benchmarks/reproduce/method_table.py" "$OUT" --json "$REPO/benchmarks/results/method_table.json" \
    --md "$REPO/benchmarks/results/method_table.md" > /dev/null &&
    commit "$REPO/benchmarks/results/method_table.json $REPO/benchmarks/results/method_table.md" "grid: method table"
}

if [ "${ORDER:-group}" = seed ]; then  # every group's seed 0, then every group's seed 1, ...: each cell early
  for seed in $SEEDS; do
    for group in $GRID; do run_one "${group%%:*}" "${group##*:}" "$seed"; done
  done
  for group in $GRID; do summarize "${group%%:*}" "${group##*:}"; done
else  # group by group: each group's mean over seeds as soon as its seeds are done
  for group in $GRID; do
    for seed in $SEEDS; do run_one "${group%%:*}" "${group##*:}" "$seed"; done
    summarize "${group%%:*}" "${group##*:}"
  done
fi
echo "grid: finished $(date -u +%FT%TZ)"
