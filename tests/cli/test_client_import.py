"""The SDK is client-only: `import aifhub.client` loads no server library and no server code."""

from __future__ import annotations

import pkgutil

import aifhub.client

from ..schemas.imports import loaded_after, server_modules


def test_import_client_loads_no_server_code() -> None:
    loaded = loaded_after("import aifhub.client")
    assert "aifhub.client" in loaded and "httpx" in loaded
    assert server_modules(loaded) == []
    # Only the SDK itself, the wire shapes and the package root (its __version__).
    ours = {m for m in loaded if m.startswith("aifhub")}
    assert {m for m in ours if not m.startswith(("aifhub.client", "aifhub.schemas"))} == {"aifhub"}


def test_every_sdk_module_stays_client_only() -> None:
    """Also the modules `import aifhub.client` does not load (output helpers, data transfers)."""
    names = [m.name for m in pkgutil.walk_packages(aifhub.client.__path__, "aifhub.client.")]
    assert "aifhub.client.output" in names and "aifhub.client.catalog" in names
    loaded = loaded_after("\n".join(f"import {n}" for n in names))
    assert server_modules(loaded) == []
