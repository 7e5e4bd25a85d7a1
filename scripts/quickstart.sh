#!/usr/bin/env bash
# Quick start (a): install what is missing, build, run the default experiment.
set -euo pipefail
MB_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$MB_ROOT/scripts/deps.sh"
mb_install_packages $MB_BUILD_PACKAGES
mkdir -p "$MB_ROOT/build"
mb_build "$MB_ROOT/build"
cd "$MB_ROOT"
# The default job: train MAD-VAE-28 on Fashion-MNIST, then decode a grid from the prior.
./build/madbench train --data fashion-mnist --epochs 5 --out results/default/model.ckpt "$@"
./build/madbench sample results/default/model.ckpt --n 64 --out results/default/samples.png
echo "results: $MB_ROOT/results/default/ (model.ckpt, samples.png)"
