"""Fixtures of the attack tests: the compute world on a sandboxed local cluster, a real SMTP
server, a real OpenID provider and aifhub server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aifhub.core.config import Settings

from ..compute.conftest import SITE_TOML as COMPUTE_SITE_TOML
from ..compute.conftest import world  # noqa: F401  (uses the compute_settings below)
from ..identity.conftest import aifhub_url, openid_provider  # noqa: F401 (fixtures, by name)
from ..smtp_server import smtp_server  # noqa: F401 (a fixture, used by name)

# The compute tests' site, plus a site-declared writable folder for `workdir` and network
# allowed on the gpu partition (still needing a staff grant per project).
SITE_TOML = COMPUTE_SITE_TOML.replace(
    "kill_grace_s = 1\n", 'kill_grace_s = 1\nbind_paths = [{ path = "{scratch}", mode = "rw" }]\n'
).replace('qos = ["dev", "t3"]\n', 'qos = ["dev", "t3"]\nallow_network = true\n')
assert "bind_paths" in SITE_TOML and "allow_network" in SITE_TOML


@pytest.fixture
def compute_settings(settings: Settings, tmp_path: Path, bwrap_installed: str) -> Settings:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    if os.geteuid() == 0:
        os.chown(scratch, 65534, 65534)  # the job user's folder on the "shared" filesystem
    site = tmp_path / "site.toml"
    site.write_text(
        SITE_TOML.replace("{state_dir}", str(tmp_path / "backend")).replace(
            "{scratch}", str(scratch)
        )
    )
    return settings.model_copy(update={"site_file": site, "var_dir": tmp_path / "var"})
