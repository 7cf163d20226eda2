"""What a fresh interpreter has loaded after some imports (for the layering tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
SERVER_PACKAGES = ("sqlalchemy", "fastapi", "starlette", "alembic", "uvicorn")
# Everything of aifhub that is server code: infrastructure, domains, app, worker, CLI.
SERVER_AIFHUB = (
    "core",
    "backends",
    "storage",
    "web",
    "identity",
    "resources",
    "access",
    "compute",
    "catalog",
    "support",
    "ecosystem",
    "recommend",
    "app",
    "worker",
    "models",
    "commands",
    "cli",
)


def loaded_after(statements: str) -> list[str]:
    """The names in sys.modules once a new interpreter has run `statements`."""
    code = f"import json, sys\n{statements}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return list(json.loads(out))


def server_modules(loaded: list[str]) -> list[str]:
    """The loaded modules that belong to the server (its libraries or its own packages)."""
    roots = SERVER_PACKAGES + tuple(f"aifhub.{p}" for p in SERVER_AIFHUB)
    return [m for m in loaded if any(m == r or m.startswith(r + ".") for r in roots)]


def third_party(loaded: list[str]) -> set[str]:
    """Top-level packages loaded that are neither the standard library nor aifhub.

    Names with a leading underscore (__main__, _sysconfigdata_..., C helpers) are the
    interpreter's own and are left out.
    """
    tops = {m.split(".")[0] for m in loaded}
    return {t for t in tops if t not in sys.stdlib_module_names and t[0] != "_"} - {"aifhub"}
