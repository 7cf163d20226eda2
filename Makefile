.PHONY: demo test test-quick lint bench

# Run the platform: install, migrate, load demo data, serve on http://127.0.0.1:8000/
demo:
	scripts/setup.sh
	.venv/bin/aifhub serve --demo

# Run the whole test suite
test:
	scripts/test.sh

# Run the quick tests only (no browser, real Slurm or server processes), on both databases
test-quick:
	scripts/test.sh -m "not slow"

lint:
	.venv/bin/ruff check src tests bench scripts
	.venv/bin/ruff format --check src tests bench scripts
	.venv/bin/mypy src
	.venv/bin/lint-imports
