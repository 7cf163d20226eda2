"""Shared fixtures: a real single-node Slurm started by scripts/start-slurm.sh, and bubblewrap."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .workers import file_lock

REPO = Path(__file__).resolve().parents[1]
START_SLURM = REPO / "scripts" / "start-slurm.sh"


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "the Slurm tests start a real cluster and need root (CI runs them as root)"
    if shutil.which("apt-get") is None or not Path("/etc/debian_version").exists():
        return "the Slurm tests install Slurm with apt-get and need Debian"
    return None


def _read_env(path: Path) -> dict[str, str]:
    """Read the `export K=V` lines of start-slurm.sh's env.sh."""
    env = {}
    for line in path.read_text().splitlines():
        if line.startswith("export ") and "=" in line:
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value
    return env


@pytest.fixture(scope="session")
def bwrap_installed() -> str:
    """Path of bwrap; installs the Debian package bubblewrap when missing (root + apt only)."""
    path = shutil.which("bwrap")
    if path is None and _skip_reason() is None:
        # One apt-get at a time: several xdist workers may all find bwrap missing.
        with file_lock(Path(tempfile.gettempdir()) / "aifhub-tests-apt.lock"):
            if shutil.which("bwrap") is None:
                env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
                subprocess.run(
                    ["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300
                )
                subprocess.run(
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "bubblewrap"],
                    env=env, capture_output=True, timeout=300,
                )  # fmt: skip
        path = shutil.which("bwrap")
    if path is None:
        pytest.skip("bubblewrap (bwrap) is not installed and could not be installed here")
    return path


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[dict[str, str]]:
    """Start (or reuse) the CI Slurm cluster; yield its env (SLURM_CONF, SLURMRESTD_URL...).

    The cluster is left running after the session: it is shared by every test run on the
    machine, and start-slurm.sh reuses it in about a second next time.
    """
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    base = os.environ.get("SLURM_CI_BASE", "/tmp/slurm-ci")
    # One start at a time per cluster: its tests run on one xdist worker, but other test runs
    # on the machine may start the same cluster at the same moment.
    with file_lock(Path(f"{base}.lock")):
        proc = subprocess.run(
            ["bash", str(START_SLURM), "start"],
            env={**os.environ, "SLURM_CI_BASE": base},
            capture_output=True,
            text=True,
            timeout=600,
        )
    if proc.returncode != 0:
        pytest.fail(f"scripts/start-slurm.sh failed:\n{proc.stdout}\n{proc.stderr}")
    env = _read_env(Path(base) / "env.sh")
    env["SLURM_CI_BASE"] = base
    # The CLI tools of these tests (and of the backend) find the cluster through SLURM_CONF.
    os.environ["SLURM_CONF"] = env["SLURM_CONF"]
    yield env
