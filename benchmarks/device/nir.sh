#!/usr/bin/env bash
# The README's NIR numbers (SST-2, 2 CPU cores):
#   zero_model  the quick preset's SST-2 SNN fine-tuned with reset to zero (an exportable model), on the CNN of
#               runs/frontier/quick_sst2 (`bash benchmarks/energy/frontier.sh paper_setting` makes it; the same CNN as the
#               reset-by-subtraction quick run beside it)
#   table       export-nir on its converted SNN (exact: reset to zero from the start) and, with --lossy, on the
#               paper preset's SST-2 run
#               (runs/hyperparameters/paper_run_sst2, `bash benchmarks/reproduce/hyperparameters.sh paper_run`) and the quick run; each
#               read back and run by nirtorch on the whole test split (benchmarks/device/nir_export.py)
#   simulators  a second simulator: the quick preset trained with reset to zero (runs/nir/quick_zero_sst2), exported
#               for nirtorch and for SpikingJelly, each run on the whole test split (benchmarks/device/nir_simulators.py)
# Usage: SPIKETEXT_DATA_DIR=../shared/data bash benchmarks/device/nir.sh [zero_model table simulators]
set -euo pipefail
cd "$(dirname "$0")/../.."
ST=${ST:-.venv/bin/spiketext}; PY=${PY:-.venv/bin/python}
R=benchmarks/results/nir; ZERO=runs/issue14/quick_zero_sst2
zero_model() {
  "$ST" sweep --dataset sst2 --preset quick --set finetune.init=data_p999 --grid snn.reset=zero \
    --cnn runs/frontier/quick_sst2 --out $ZERO --in-process
  mkdir -p $R/quick_zero_sst2
  cp $ZERO/sweep.json $ZERO/sweep.md "$ZERO/points/snn.reset=zero/results.json" "$ZERO/points/snn.reset=zero/config.json" \
    $R/quick_zero_sst2/
}
table() {
  mkdir -p $R
  "$PY" benchmarks/device/nir_export.py "quick_zero_converted=$ZERO/points/snn.reset=zero:converted" \
    "paper_subtract=runs/hyperparameters/paper_run_sst2:lossy" "quick_subtract=runs/frontier/quick_sst2:lossy" \
    --json $R/nir_sst2.json | tee $R/nir_sst2.md
}
simulators() {
  "$ST" run --dataset sst2 --preset quick --set snn.reset=zero --out runs/nir/quick_zero_sst2
  "$PY" benchmarks/device/nir_simulators.py runs/nir/quick_zero_sst2 --json $R/simulators_sst2.json
  cp runs/nir/quick_zero_sst2/results.json $R/simulators_sst2_run.json
}
for step in "${@:-zero_model table}"; do
  for s in $step; do
    case "$s" in
      zero_model | table | simulators) "$s" ;;
      *) echo "unknown step $s" >&2; exit 2 ;;
    esac
  done
done
