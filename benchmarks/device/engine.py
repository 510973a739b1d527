"""Engine benchmark (same as `spiketext bench`):
python benchmarks/device/engine.py [--json FILE] [--reps N] [--device D].

Prints the markdown table and writes JSON with `paper_shape` and `default_shape`, each holding
`train_step_speedup`, `inference_speedup`, `peak_memory_ratio` (spiketext ÷ reference) and `peak_fraction`.
"""

import sys

from spiketext.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
