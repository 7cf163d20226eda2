"""`aifhub clusters check`, the worker's check and the staff page, against the real Slurm."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest

from aifhub.compute.cluster_check import (
    DAEMON_UP,
    DRIFT_FINDINGS,
    check_clusters,
    check_targets,
)
from aifhub.compute.tasks import check_slurm_clusters
from aifhub.core.config import SiteConfig
from aifhub.core.db import make_sessionmaker
from aifhub.core.i18n import LANG_COOKIE
from aifhub.core.modules import TaskContext
from aifhub.resources.site import sync_site

from ..web.helpers import HTML, user_and_login

SRC = Path(__file__).resolve().parents[2] / "src"
GPU_ERROR = (
    "Partition gpu: the site file declares gpus_per_node = 4 but its nodes have at most 2 "
    "GPUs: jobs asking for a full node never start. Lower gpus_per_node in the site file."
)
TIME_WARNING = "Partition gpu: the site file allows jobs of up to 01:00:00 while Slurm's MaxTime"


def site_toml(name: str, conf: str, gpus: int, backend: str = "slurm", extra: str = "") -> str:
    """A site file with one Slurm cluster: the gpu partition (gpus per node, 1 h) and cpu."""
    return f"""
[[clusters]]
name = "{name}"
backend = "{backend}"
[clusters.settings]
slurm_conf = "{conf}"
cluster_name = "ci"
{extra}
[[clusters.partitions]]
name = "gpu"
accelerator = "A100"
gpus_per_node = {gpus}
cores_per_node = 16
mem_mb_per_node = 16384
max_time = "1h"

[[clusters.partitions]]
name = "cpu"
cores_per_node = 16
mem_mb_per_node = 16384
max_time = "1d"
"""


def _site(text: str) -> SiteConfig:
    return SiteConfig.model_validate(tomllib.loads(text))


async def _declare(db, text: str) -> None:
    await sync_site(db, _site(text))
    await db.commit()


@pytest.mark.slow
@pytest.mark.slurm
async def test_declared_gpus_and_time_against_slurms(db, app, slurm_cluster):
    name = f"ck{uuid.uuid4().hex[:8]}"
    await _declare(db, site_toml(name, slurm_cluster["SLURM_CONF"], gpus=4))
    targets = await check_targets(db, cluster=name)
    [report] = await check_clusters(targets, app.state.infra.backends)
    assert [d.text for d in report.daemons] == ["up", "up"]
    assert [d.daemon for d in report.daemons] == ["slurmctld", "slurmdbd"]
    errors = [f.message for f in report.errors]
    assert errors == [GPU_ERROR]
    warnings = [f.message for f in report.findings if f.severity == "warning"]
    assert any(w.startswith(TIME_WARNING) for w in warnings), warnings
    assert report.healthy and not report.ok
    assert DAEMON_UP.labels(name, "slurmdbd")._value.get() == 1
    assert DRIFT_FINDINGS.labels(name, "error")._value.get() == 1


def _cli_env(settings, tmp_path: Path, site: str) -> dict[str, str]:
    site_file = tmp_path / "site.toml"
    site_file.write_text(site)
    return {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "AIFHUB_DATABASE_URL": settings.database_url,
        "AIFHUB_SITE_FILE": str(site_file),
        "AIFHUB_VAR_DIR": str(tmp_path / "var"),
        "AIFHUB_SECRET_KEY": "test-secret",
        "COLUMNS": "400",  # one finding per line, as an operator's wide terminal shows it
        "HOME": str(tmp_path),
    }


async def _aifhub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "aifhub", *args]
    return await asyncio.to_thread(subprocess.run, cmd, env=env, capture_output=True, text=True)


@pytest.mark.slow
@pytest.mark.slurm
async def test_cli_exits_1_on_drift_and_0_once_the_site_file_matches(
    db, app, settings, slurm_cluster, tmp_path
):
    name = f"ck{uuid.uuid4().hex[:8]}"
    conf = slurm_cluster["SLURM_CONF"]
    env = _cli_env(settings, tmp_path, site_toml(name, conf, gpus=4))
    assert (await _aifhub(env, "clusters", "sync")).returncode == 0
    drifted = await _aifhub(env, "clusters", "check", "--cluster", name)
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert "Traceback" not in drifted.stderr
    assert GPU_ERROR in drifted.stdout and TIME_WARNING in drifted.stdout
    assert "slurmctld" in drifted.stdout and "NOT OK" in drifted.stdout

    env = _cli_env(settings, tmp_path, site_toml(name, conf, gpus=2))
    assert (await _aifhub(env, "clusters", "sync")).returncode == 0
    fixed = await _aifhub(env, "clusters", "check", "--cluster", name, "--json")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    [report] = json.loads(fixed.stdout)
    assert report["ok"] is True
    assert report["daemons"] == {"slurmctld": "up", "slurmdbd": "up"}
    assert [f["severity"] for f in report["findings"]] == ["warning", "warning"]

    unknown = await _aifhub(env, "clusters", "check", "--cluster", "nosuch")
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert "No enabled Slurm cluster is named 'nosuch'" in unknown.stderr


@pytest.mark.slow
@pytest.mark.slurm
async def test_slurmrestd_on_a_closed_port_is_down_with_a_sentence(db, app, slurm_cluster):
    name = f"ck{uuid.uuid4().hex[:8]}"
    extra = f'url = "http://127.0.0.1:9"\nuser = "{slurm_cluster["SLURMRESTD_USER"]}"\n'
    extra += 'token = "not-used"\n'
    await _declare(db, site_toml(name, slurm_cluster["SLURM_CONF"], 2, "slurmrest", extra))
    [report] = await check_clusters(await check_targets(db), app.state.infra.backends)
    daemons = {d.daemon: d for d in report.daemons}
    assert daemons["slurmctld"].up and daemons["slurmdbd"].up
    rest = daemons["slurmrestd"]
    assert not rest.up
    assert rest.text.startswith("down: slurmrestd at http://127.0.0.1:9 unreachable")
    assert rest.detail.endswith(".")
    assert [f.message.split(" (")[0] for f in report.errors] == [
        "Slurm's partitions and nodes could not be read"
    ]
    assert not report.ok


@pytest.mark.slow
@pytest.mark.slurm
async def test_a_slurmrest_cluster_is_read_through_slurmrestd(db, app, slurm_cluster):
    name = f"ck{uuid.uuid4().hex[:8]}"
    extra = f'url = "{slurm_cluster["SLURMRESTD_URL"]}"\n'
    extra += f'user = "{slurm_cluster["SLURMRESTD_USER"]}"\n'
    await _declare(db, site_toml(name, slurm_cluster["SLURM_CONF"], 4, "slurmrest", extra))
    [report] = await check_clusters(await check_targets(db), app.state.infra.backends)
    assert {d.daemon: d.text for d in report.daemons} == {
        "slurmctld": "up", "slurmdbd": "up", "slurmrestd": "up",
    }  # fmt: skip
    assert [f.message for f in report.errors] == [GPU_ERROR]
    assert any(f.message.startswith(TIME_WARNING) for f in report.findings)


@pytest.mark.slow
@pytest.mark.slurm
async def test_the_staff_page_shows_health_and_findings(client, db, slurm_cluster):
    name = f"ck{uuid.uuid4().hex[:8]}"
    await _declare(db, site_toml(name, slurm_cluster["SLURM_CONF"], gpus=4))
    await user_and_login(client, db, "member@lab.eu")
    denied = await client.get("/staff/clusters", headers=HTML)
    assert denied.status_code == 403
    await user_and_login(client, db, "expert@aifhub.eu", staff=("expert",))
    assert (await client.get("/staff/clusters", headers=HTML)).status_code == 403

    await user_and_login(client, db, "admin@aifhub.eu", staff=("admin",))
    page = await client.get("/staff/clusters", headers=HTML)
    assert page.status_code == 200, page.text
    text = page.text
    assert f'id="cluster-{name}"' in text and "Needs attention" in text
    for daemon in ("slurmctld", "slurmdbd"):
        item = text.split(f'id="daemon-{name}-{daemon}"', 1)[1].split("</li>", 1)[0]
        assert 'class="badge ok">up<' in item, item
    assert "gpus_per_node = 4 but its nodes have at most 2 GPUs" in text
    assert "Computed at" in text and 'href="/staff/clusters"' in text

    client.cookies.set(LANG_COOKIE, "fr")
    fr = await client.get("/staff/clusters", headers=HTML)
    assert "État des clusters" in fr.text
    assert "déclare gpus_per_node = 4 mais ses nœuds ont au plus 2 GPU" in fr.text


async def test_the_worker_warns_and_survives_a_slurm_that_does_not_answer(
    db, app, engine, tmp_path, caplog
):
    # A slurm.conf that does not exist: scontrol retries for a minute, the check gives up.
    name = f"ck{uuid.uuid4().hex[:8]}"
    await _declare(db, site_toml(name, str(tmp_path / "missing.conf"), gpus=2))
    ctx = TaskContext(make_sessionmaker(engine), app.state.infra)
    with caplog.at_level(logging.WARNING, logger="aifhub.compute.tasks"):
        assert await check_slurm_clusters(ctx) == 0
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith(f"cluster {name}: slurmctld is down: ") for line in lines), lines
    assert any(line.startswith(f"cluster {name}: slurmdbd is down: ") for line in lines), lines
    assert DAEMON_UP.labels(name, "slurmctld")._value.get() == 0


@pytest.mark.slow
@pytest.mark.slurm
async def test_the_worker_logs_each_finding(db, app, engine, slurm_cluster, caplog):
    name = f"ck{uuid.uuid4().hex[:8]}"
    await _declare(db, site_toml(name, slurm_cluster["SLURM_CONF"], gpus=4))
    ctx = TaskContext(make_sessionmaker(engine), app.state.infra)
    with caplog.at_level(logging.WARNING, logger="aifhub.compute.tasks"):
        assert await check_slurm_clusters(ctx) == 0
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"cluster {name}: error: {GPU_ERROR}" in lines
    assert any(line.startswith(f"cluster {name}: warning: {TIME_WARNING}") for line in lines)
    assert not any("is down" in line for line in lines)
