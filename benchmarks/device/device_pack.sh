#!/usr/bin/env bash
# Pack what `benchmarks/device/device.sh` needs on a bare GPU machine (no network) into .gpu/ (git-ignored, ~50 MB):
#   .gpu/whl/    wheels of the packages the device image lacks (jieba, gensim, smart_open) for its Python 3.12
#   .gpu/data/   the six published data sets (copied from $SPIKETEXT_DATA_DIR, default ../shared/data)
#   .gpu/glove/  the GloVe rows of the English data sets' words (the 77 MB GloVe package does not travel)
# Then: the device tool's run with carry [".gpu"] and the command `MODE=reproduce bash benchmarks/device/device.sh`.
# Usage: bash benchmarks/device/device_pack.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${SPIKETEXT_DATA_DIR:-../shared/data}
mkdir -p .gpu/whl .gpu/data
grep -qx "/.gpu/" .git/info/exclude 2>/dev/null || echo "/.gpu/" >> .git/info/exclude
plat=(--only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any)
.venv/bin/python -m pip download -q --no-deps "${plat[@]}" -d .gpu/whl jieba gensim smart_open 2>/dev/null ||
  .venv/bin/python -m pip download -q --no-deps -d .gpu/whl jieba gensim smart_open  # jieba ships a source archive
for name in mr sst2 sst5 subj chnsenti waimai; do cp -r "$DATA/$name" .gpu/data/; done
SPIKETEXT_DATA_DIR="$DATA" .venv/bin/spiketext data export-embeddings mr sst2 sst5 subj --out .gpu/glove
du -sh .gpu .gpu/*
