"""`python -m spiketext.cli ...`: the same as the `spiketext` command."""

import sys

from spiketext.cli.parser import main

sys.exit(main())
