#!/usr/bin/env bash
# The README's robustness numbers on 2 CPU cores: the paper preset's SST-2 models trained as the authors did
# (`bash benchmarks/reproduce/hyperparameters.sh paper_run` makes runs/hyperparameters/paper_run_sst2), attacked as deployed.
#   table      five attacks × victim seeds 0, 1, 2; N = 500 (PWWS 200, PSO 100); expected victim, MiniLM, WordNet
#              (one process per seed: three processes side by side, about 1.5 h on 2 cores)
#   mr_model   the paper preset's MR run, trained as the authors did, seed 0 (about 45 min on 2 cores)
#   mr         the five attacks × victim seeds 0, 1, 2 on it (RUN_MR, default runs/paper_runs/paper_run_mr); N = 300
#              (PWWS 120, PSO 60): what one session's 2 cores allowed after training the model
#   efficient  the same five attacks × 3 seeds on the efficient preset's SST-2 run (deterministic TTFS SNN, T = 16;
#              RUN_EFF, default runs/frontier/efficient_sst2 from `bash benchmarks/energy/frontier.sh preset`)
#   fixed      the SNN with one frozen draw (the first version's victim), TextFooler and DeepWordBug, seed 0
#   norecheck  the expected victim without the second look at flips, TextFooler, seed 0
#   wordvec    the CNN under the first version's word-vector similarity, seed 0: how much MiniLM binds
#   draws      how many draws a query needs (benchmarks/robustness/victim_draws.py), and the victims' speed
#   table_md   the table (benchmarks/robustness/attack_table.py)
# Usage: SPIKETEXT_DATA_DIR=../shared/data bash benchmarks/robustness/attacks.sh \
#          [table mr_model mr efficient fixed norecheck wordvec draws table_md]
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RUN=${RUN:-runs/hyperparameters/paper_run_sst2}
R=benchmarks/results/attacks
ATTACKS=textfooler,textbugger,deepwordbug,pwws,pso

table() {
  for s in 0 1 2; do
    "$PY" benchmarks/robustness/attack_runs.py "$RUN" $R/v2/paper_sst2 --attacks $ATTACKS --seeds $s --n 500 --n-pso 100 \
      --n-pwws 200 &
  done
  wait
}
mr_model() {
  "${ST:-.venv/bin/spiketext}" run --dataset mr --preset paper --out "${RUN_MR:-runs/paper_runs/paper_run_mr}"
}
mr() {
  for s in 0 1 2; do
    "$PY" benchmarks/robustness/attack_runs.py "${RUN_MR:-runs/paper_runs/paper_run_mr}" $R/v2/paper_mr --attacks $ATTACKS \
      --seeds $s --n "${N_MR:-300}" --n-pso "${N_MR_PSO:-60}" --n-pwws "${N_MR_PWWS:-120}" &
  done
  wait
}
efficient() {
  for s in 0 1 2; do
    "$PY" benchmarks/robustness/attack_runs.py "${RUN_EFF:-runs/frontier/efficient_sst2}" $R/v2/efficient_sst2 --attacks $ATTACKS \
      --seeds $s --n 500 --n-pso 100 --n-pwws 200 &
  done
  wait
}
fixed() {
  "$PY" benchmarks/robustness/attack_runs.py "$RUN" $R/v2_extra/paper_sst2_fixed --attacks textfooler,deepwordbug --seeds 0 \
    --n 500 --mode fixed --models snn
}
norecheck() {
  "$PY" benchmarks/robustness/attack_runs.py "$RUN" $R/v2_extra/paper_sst2_norecheck --attacks textfooler --seeds 0 --n 500 \
    --no-recheck
}
wordvec() {
  "$PY" benchmarks/robustness/attack_runs.py "$RUN" $R/v2_extra/paper_sst2_wordvec --attacks textfooler,textbugger,deepwordbug,pwws \
    --seeds 0 --n 500 --n-pwws 200 --models cnn --similarity word-vectors
}
draws() {
  "$PY" benchmarks/robustness/victim_draws.py "$RUN" --n 80 --draws 1,2,4,8,16,32 --reference 32 \
    --json $R/victim_draws_sst2.json | tee $R/victim_draws_sst2.md
  "$PY" benchmarks/robustness/victim_speed.py "$RUN" --n 30 --json $R/victim_speed_sst2.json | tee $R/victim_speed_sst2.md
}
table_md() {
  "$PY" benchmarks/robustness/attack_table.py $R/v2/paper_sst2 $R/v2/paper_mr $R/v2/efficient_sst2 --json $R/v2/attack_table.json |
    tee $R/v2/attack_table.md
  "$PY" benchmarks/robustness/attack_table.py $R/v2_extra/paper_sst2_fixed $R/v2_extra/paper_sst2_norecheck \
    $R/v2_extra/paper_sst2_wordvec | tee $R/v2_extra/table.md
}
for step in "${@:-table mr_model mr efficient fixed norecheck wordvec draws table_md}"; do
  for s in $step; do
    case "$s" in
      table | mr_model | mr | efficient | fixed | norecheck | wordvec | draws | table_md) "$s" ;;
      *) echo "unknown step $s" >&2; exit 2 ;;
    esac
  done
done
