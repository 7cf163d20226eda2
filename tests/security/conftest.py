"""Fixtures of the attack tests: the compute world on a sandboxed local cluster, a real SMTP
server, a real OpenID provider and aifhub server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aifhub.core.config import Settings

from ..compute.conftest import world  # noqa: F401  (uses the compute_settings below)
from ..identity.test_oidc import aifhub_url, openid_provider  # noqa: F401 (fixtures, by name)
from ..smtp_server import smtp_server  # noqa: F401 (a fixture, used by name)

SITE_TOML = """
[compute]
delivery_lease_s = 1
accounting_overlap_s = 60

[[clusters]]
name = "testc"
backend = "local"
[clusters.settings]
state_dir = "{state_dir}"
cpus = 2
gpus = 2
mem_mb = 4096
kill_grace_s = 1
bind_paths = [{ path = "{scratch}", mode = "rw" }]

[[clusters.partitions]]
name = "cpu"
cores_per_node = 2
mem_mb_per_node = 4096
max_time = "1h"

[[clusters.partitions]]
name = "gpu"
accelerator = "A100"
gpus_per_node = 2
cores_per_node = 2
mem_mb_per_node = 4096
max_time = "2h"
charge_factor = "2"
allow_network = true
"""


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
