"""End to end on the real Slurm test cluster: push, submit through the platform, settle from
sacct, and the exactness check (ledger total == sacct total for the same jobs)."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aifhub.access.ledger import hours
from aifhub.access.models import LedgerEntry
from aifhub.compute.models import ClusterLogin, Job
from aifhub.compute.push import push_allocations
from aifhub.core.config import SiteConfig
from aifhub.identity.models import User
from aifhub.resources.models import Cluster, Partition
from aifhub.resources.site import sync_site

from .conftest import add_allocation, job_body, run_worker_round

pytestmark = [pytest.mark.slow, pytest.mark.slurm]


async def test_jobs_through_the_platform_on_slurm(client, db, world, tmp_path, slurm_cluster):
    env = slurm_cluster
    prefix = f"e{uuid.uuid4().hex[:6]}-"
    logs = tmp_path / "slurm-logs"
    logs.mkdir()
    site = SiteConfig.model_validate(
        {"clusters": [{
            "name": "ci", "backend": "slurm", "account_format": prefix + "{project}",
            "settings": {"slurm_conf": env["SLURM_CONF"], "cluster_name": "ci",
                         "log_dir": str(logs)},
            "partitions": [{"name": "cpu", "cores_per_node": 4, "max_time": "1h",
                            "charge_factor": "1.5"}],
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
    pushed = await push_allocations(db, cluster="ci")
    await db.commit()
    assert pushed[0] == "# ci: 1 account(s), 2 command(s)"  # add account, add user
    ids = []
    for i in range(4):
        body = job_body(partition="ci/cpu", gpus=0, ntasks=1, cpus_per_task=1 + i % 2,
                        script=f"echo job-{i}; sleep 2", time_limit="5m", name=f"e2e{i}")  # fmt: skip  # noqa: E501
        r = await client.post("/api/v1/jobs", json=body, headers=world.member)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    deadline = time.monotonic() + 180
    while True:
        await run_worker_round(world)
        async with world.maker() as s:
            settled = await s.scalar(
                select(func.count()).select_from(Job).where(Job.id.in_(ids), Job.settled_at.is_not(None))  # noqa: E501
            )  # fmt: skip
        if settled == len(ids):
            break
        assert time.monotonic() < deadline, "jobs not settled from sacct in time"
        await asyncio.sleep(1)
    async with world.maker() as s:
        jobs = list(await s.scalars(select(Job).where(Job.id.in_(ids))))
        charges = list(
            await s.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.kind == "charge",
                    LedgerEntry.job_key.in_([f"ci:{j.backend_id}" for j in jobs]),
                )
            )
        )
    assert all(j.state == "completed" for j in jobs), [(j.id, j.state, j.reason) for j in jobs]
    out = await asyncio.to_thread(
        subprocess.run,
        ["sacct", "-X", "-n", "-P", "-j", ",".join(j.backend_id for j in jobs),
         "-o", "JobIDRaw,ElapsedRaw,AllocCPUS,Account,Comment"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    sacct_total = Decimal(0)
    for line in out.stdout.splitlines():
        job_id, elapsed, cpus, account, comment = line.split("|")
        # (sacct keeps the comment only with AccountingStoreFlags=job_comment)
        assert account == f"{prefix}proj" and comment in ("", *(f"aifhub:{j.id}" for j in jobs))
        sacct_total += hours(int(elapsed), int(cpus), Decimal("1.5"))
    async with world.maker() as s:
        everything = [(e.kind, e.job_key) for e in await s.scalars(select(LedgerEntry))]
    assert len(charges) == len(jobs), (
        everything,
        [(j.id, j.backend_id, j.settled_at) for j in jobs],
    )
    assert sum(c.amount for c in charges) == sacct_total  # the exactness check
    log = await client.get(f"/api/v1/jobs/{ids[0]}/log", headers=world.member)
    assert "job-0" in log.json()["text"]
    await asyncio.to_thread(
        subprocess.run, ["sacctmgr", "-i", "delete", "account", f"{prefix}proj"],
        env=env, capture_output=True, check=False,
    )  # fmt: skip
