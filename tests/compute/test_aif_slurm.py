"""The Compute API on the real Slurm test cluster: the SDK's user name is the cluster login, and
its `time_limit` of 2 reaches Slurm as 2 minutes (TimeLimit=00:02:00), never 2 seconds."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from aifhub.compute.models import ClusterLogin, Job
from aifhub.compute.push import push_allocations
from aifhub.core.config import SiteConfig
from aifhub.identity.models import User
from aifhub.resources.models import Cluster, Partition
from aifhub.resources.site import sync_site

from .conftest import add_allocation, run_worker_round
from .test_aif_service import BASE, sdk_headers

pytestmark = [pytest.mark.slow, pytest.mark.slurm]


async def _slurm(env: dict[str, str], *args: str) -> str:
    out = await asyncio.to_thread(
        subprocess.run, list(args), env=env, capture_output=True, text=True, check=False
    )
    return out.stdout


async def test_minutes_reach_slurm_as_minutes(client, db, world, tmp_path, slurm_cluster):
    env = slurm_cluster
    prefix = f"a{uuid.uuid4().hex[:6]}-"
    logs = tmp_path / "slurm-logs"
    logs.mkdir()
    site = SiteConfig.model_validate(
        {"clusters": [{
            "name": "ci", "backend": "slurm", "account_format": prefix + "{project}",
            "settings": {"slurm_conf": env["SLURM_CONF"], "cluster_name": "ci",
                         "log_dir": str(logs)},
            "partitions": [{"name": "cpu", "cores_per_node": 4, "max_time": "1h"}],
        }]}
    )  # fmt: skip
    await sync_site(db, site)
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "ci"))
    part = await db.scalar(select(Partition).where(Partition.key == "ci/cpu"))
    await add_allocation(db, "proj", part, Decimal(50))
    member = await db.scalar(select(User).where(User.email == "member@lab.eu"))
    # Inserted directly: the CI Slurm runs jobs as root, which the service would refuse.
    db.add(ClusterLogin(user_id=member.id, cluster_id=cluster.id, login="root", status="approved"))
    await db.commit()
    await push_allocations(db, cluster="ci")
    await db.commit()
    try:
        # The SDK's user name is the member's cluster login; the project is their only one.
        headers = sdk_headers(world.member, "root")
        body = {"name": "aifmin", "script": "sleep 1", "partition": "ci/cpu", "time_limit": 2,
                "tasks": 1, "cpus_per_task": 1}  # fmt: skip
        r = await client.post(f"{BASE}/jobs", json=body, headers=headers)
        assert r.status_code == 200, r.text
        job_id = r.json()["job_id"]
        deadline = time.monotonic() + 180
        shown = ""
        while "TimeLimit=" not in shown:
            assert time.monotonic() < deadline, f"job {job_id} not on Slurm: {shown}"
            await run_worker_round(world)
            async with world.maker() as s:
                job = await s.get(Job, job_id)
            assert job is not None
            if job.backend_id is not None:
                shown = await _slurm(env, "scontrol", "-o", "show", "job", job.backend_id)
            else:
                await asyncio.sleep(0.5)
        assert re.search(r"\bTimeLimit=00:02:00\b", shown), shown
        assert job.time_limit_s == 120
        while True:
            await run_worker_round(world)
            r = await client.get(f"{BASE}/jobs/{job_id}", headers=headers)
            if r.json()["status"] not in ("queued", "running"):
                break
            assert time.monotonic() < deadline, r.text
            await asyncio.sleep(0.5)
        assert r.json()["status"] == "completed", r.text
    finally:
        await _slurm(env, "sacctmgr", "-i", "delete", "account", f"{prefix}proj")
