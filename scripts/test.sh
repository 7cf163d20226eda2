#!/usr/bin/env bash
# Run the whole test suite (SQLite and PostgreSQL, browser pages, real Slurm, real SMTP) on
# pytest-xdist workers, one per CPU core (AIFHUB_TEST_WORKERS=N to choose, 0 for one process).
# Extra arguments go to pytest, e.g. scripts/test.sh tests/identity -x, or -n 0 for one process.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
exec .venv/bin/python -m pytest -n "${AIFHUB_TEST_WORKERS:-auto}" "$@"
