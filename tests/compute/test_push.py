"""Allocation push: accounts, users and GrpTRESMins from allocations; expired ones blocked."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from aifhub.compute.models import ClusterLogin
from aifhub.compute.push import native_minutes, push_allocations
from aifhub.core.config import SiteConfig
from aifhub.identity.models import User
from aifhub.resources.models import Cluster, Partition
from aifhub.resources.site import sync_site

from .conftest import add_allocation


def slurm_site(prefix: str, conf: str | None = None) -> SiteConfig:
    settings = {"cluster_name": "ci", "parent_account": "root"}
    if conf:
        settings["slurm_conf"] = conf
    return SiteConfig.model_validate(
        {
            "clusters": [
                {
                    "name": "jz",
                    "backend": "slurm",
                    "account_format": prefix + "{project}",
                    "settings": settings,
                    "partitions": [
                        {"name": "gpu", "accelerator": "A100", "gpus_per_node": 2,
                         "charge_factor": "2", "max_time": "20h"},
                        {"name": "cpu", "cores_per_node": 16},
                    ],
                }
            ]
        }
    )  # fmt: skip


async def _setup(client, db, world, site: SiteConfig) -> dict[str, Partition]:
    await sync_site(db, site)
    await db.commit()
    cluster = await db.scalar(select(Cluster).where(Cluster.name == "jz"))
    parts = {
        p.name: p
        for p in await db.scalars(select(Partition).where(Partition.cluster_id == cluster.id))
    }
    await add_allocation(db, "proj", parts["gpu"], Decimal(1000))  # 1000 h / 2 x 60 = 30000 min
    await add_allocation(db, "proj", parts["cpu"], Decimal(50))
    await add_allocation(db, "theirs", parts["gpu"], Decimal(10), state="expired", days=(-60, -1))
    for email, login in (("pi@lab.eu", "pilogin"), ("member@lab.eu", "memlogin")):
        user = await db.scalar(select(User).where(User.email == email))
        db.add(ClusterLogin(user_id=user.id, cluster_id=cluster.id, login=login, status="approved"))
    await db.commit()
    return parts


def test_native_minutes() -> None:
    assert native_minutes(Decimal(1000), Decimal(2)) == 30000
    assert native_minutes(Decimal("0.01"), Decimal(1)) == 0
    assert native_minutes(Decimal(5), Decimal(0)) == 0


async def test_dry_run_commands(client, db, world):
    await _setup(client, db, world, slurm_site("x-"))
    lines = await push_allocations(db, dry_run=True, read_cluster=False)
    text = "\n".join(lines)
    assert lines[0] == "# jz: 2 account(s), 3 command(s)"
    assert (
        "sacctmgr -i add account x-proj cluster=ci parent=root "
        "GrpTRESMins=cpu=3000,gres/gpu=30000" in text
    )
    assert (
        "sacctmgr -i add account x-theirs cluster=ci parent=root GrpTRESMins=gres/gpu=0 "
        "GrpSubmitJobs=0 GrpJobs=0" in text
    )
    assert "sacctmgr -i add user memlogin,pilogin account=x-proj cluster=ci" in text


@pytest.mark.slow
@pytest.mark.slurm
async def test_push_to_real_slurm_is_idempotent(client, db, world, slurm_cluster):
    env = slurm_cluster
    prefix = f"t{uuid.uuid4().hex[:6]}-"
    await _setup(client, db, world, slurm_site(prefix, env["SLURM_CONF"]))
    first = await push_allocations(db)
    assert first[0].startswith("# jz: 2 account(s), 3 command(s)")
    out = await asyncio.to_thread(
        subprocess.run,
        ["sacctmgr", "-nP", "show", "assoc", f"account={prefix}proj,{prefix}theirs",
         "format=account,user,grptresmins,grpsubmit"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    out = out.stdout
    rows = {tuple(line.split("|")) for line in out.splitlines()}
    assert (f"{prefix}proj", "", "cpu=3000,gres/gpu=30000", "") in rows
    assert (f"{prefix}proj", "pilogin", "", "") in rows
    assert (f"{prefix}theirs", "", "gres/gpu=0", "0") in rows
    assert {r[1] for r in rows if r[0] == f"{prefix}proj"} == {"", "pilogin", "memlogin"}
    again = await push_allocations(db)
    assert again == ["# jz: 2 account(s), 0 command(s)"]
    await asyncio.to_thread(
        subprocess.run,
        ["sacctmgr", "-i", "delete", "account", f"{prefix}proj,{prefix}theirs"],
        env=env, capture_output=True, check=False,
    )  # fmt: skip
