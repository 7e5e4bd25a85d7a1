#!/usr/bin/env bash
# Quick start (a): install what is missing, build, run the default experiment
# (configs/fully-synthetic.ini; extra key=value overrides are passed on).
set -euo pipefail
MB_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$MB_ROOT/scripts/deps.sh"
mb_install_packages $MB_BUILD_PACKAGES
mb_build "$MB_ROOT/build"
cd "$MB_ROOT"
name="fully-synthetic-$(date +%Y%m%d-%H%M%S)"
./build/madbench run configs/fully-synthetic.ini run.name="$name" "$@"
