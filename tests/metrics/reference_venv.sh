#!/bin/bash
# reference_venv.sh VENV — the Python environment of the `reference` label: a venv
# with Debian's site packages (numpy, scipy, scikit-learn, torch, torchvision, ...)
# plus the reference packages of reference_requirements.txt from PyPI, installed
# with --no-deps. Reused while the requirements are unchanged. Any failure, a PyPI
# outage included, fails this test loudly: the label is never skipped.
set -euo pipefail
venv=${1:?usage: reference_venv.sh VENV}
here=$(cd "$(dirname "$0")" && pwd)
req=$here/reference_requirements.txt
# Debian's interpreter, whose dist-packages hold the system packages
py=${MB_REFERENCE_PYTHON:-/usr/bin/python3}
die() { echo "reference_venv: FAILED: $*" >&2; exit 1; }

"$py" - <<'PYEOF' || die "Debian packages missing (install the test packages of scripts/deps.sh)"
import importlib, sys
missing = []
for m in ("numpy", "scipy", "sklearn", "joblib", "torch", "torchvision", "PIL", "tqdm",
          "requests"):
    try:
        importlib.import_module(m)
    except Exception as e:
        missing.append(f"{m} ({e})")
if missing:
    print("cannot import: " + ", ".join(missing), file=sys.stderr)
    sys.exit(1)
PYEOF

if [ -x "$venv/bin/python" ] && cmp -s "$req" "$venv/requirements.stamp"; then
    echo "reference_venv: reusing $venv"
else
    rm -rf "$venv"
    "$py" -m venv --system-site-packages "$venv" || die "python3 -m venv (python3-venv)"
    echo "reference_venv: installing from PyPI into $venv"
    "$venv/bin/pip" install --no-deps --disable-pip-version-check --no-input --retries 2 \
        --timeout 60 -r "$req" ||
        die "pip could not install the reference packages from PyPI (network or PyPI down?); the reference label needs PyPI and is never skipped"
    cp "$req" "$venv/requirements.stamp"
fi
"$venv/bin/python" - <<'PYEOF' || die "the reference packages do not import"
import importlib.metadata as md
import numpy, scipy, sklearn, torch
import prdc, vendi_score.vendi, pytorch_fid.fid_score, cleanfid.fid
print("reference_venv: numpy", numpy.__version__, "scipy", scipy.__version__, "scikit-learn",
      sklearn.__version__, "torch", torch.__version__)
print("reference_venv:", ", ".join(f"{p} {md.version(p)}"
      for p in ("prdc", "vendi-score", "pytorch-fid", "clean-fid")))
PYEOF
