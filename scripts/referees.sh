#!/usr/bin/env bash
# Independent referee decoders and trackers, from PyPI, in a virtual environment at
# .venv-referees (tests find it there, or through $PICKET_REFEREE_PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-referees
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "pymodes==3.6.1" \
  "sapient-py==0.1.0" \
  "asterix-decoder==0.7.11" \
  "stonesoup==1.9.1" \
  "takproto==3.0.1" \
  "taky==0.10"
"$venv/bin/python" -c "import pyModeS, sapient_py, asterix, stonesoup, takproto, taky; print('referees ready')"
