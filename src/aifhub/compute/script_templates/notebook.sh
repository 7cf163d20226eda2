#!/bin/bash
# Execute a Jupyter notebook of the working directory and keep the executed copy next to it
# (give NOTEBOOK=path/to/file.ipynb in the environment to choose another one).
set -euo pipefail
NOTEBOOK="${NOTEBOOK:-notebook.ipynb}"
if [ ! -f "$NOTEBOOK" ]; then
  echo "There is no $NOTEBOOK in $(pwd): set the working directory to the folder that holds it," >&2
  echo "or set NOTEBOOK=path/to/file.ipynb in the environment." >&2
  exit 1
fi
OUT="${NOTEBOOK%.ipynb}.executed.ipynb"
if command -v papermill >/dev/null 2>&1; then
  papermill "$NOTEBOOK" "$OUT"
elif command -v jupyter >/dev/null 2>&1; then
  jupyter nbconvert --to notebook --execute "$NOTEBOOK" --output "${OUT##*/}"
else
  echo "Neither papermill nor jupyter is installed where this job runs: use an environment" >&2
  echo "that has one (e.g. pip install --user nbconvert ipykernel, or load a module)." >&2
  exit 1
fi
echo "Executed notebook written to $OUT"
