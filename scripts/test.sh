#!/usr/bin/env bash
# Run the whole test suite (SQLite and PostgreSQL, browser pages, real Slurm, real SMTP).
# Extra arguments go to pytest, e.g. scripts/test.sh tests/identity -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
