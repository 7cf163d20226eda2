#!/bin/bash
# Run a Python file of the working directory (set "Working directory" below, or give
# SCRIPT=path/to/file.py in the environment).
set -euo pipefail
SCRIPT="${SCRIPT:-train.py}"
if [ ! -f "$SCRIPT" ]; then
  echo "There is no $SCRIPT in $(pwd): set the working directory to the folder that holds it," >&2
  echo "or set SCRIPT=path/to/file.py in the environment." >&2
  exit 1
fi
python3 "$SCRIPT"
