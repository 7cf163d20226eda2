"""A small factory for compute tests: one local cluster, a project with allocations, users."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aifhub.access.models import Allocation
from aifhub.compute.models import Job
from aifhub.compute.tasks import deliver, ingest_accounting, poll_states, send_cancels
from aifhub.core.config import Settings
from aifhub.core.db import make_sessionmaker, utcnow
from aifhub.core.infra import Infrastructure, build_infrastructure
from aifhub.core.modules import TaskContext
from aifhub.domains import DOMAINS
from aifhub.resources.models import Partition
from aifhub.resources.site import sync_site

from ..factories import api_user, join_org, make_org, make_project
from ..smtp_server import smtp_server  # noqa: F401 (a fixture, used by name)

SITE_TOML = """
[compute]
delivery_lease_s = 1
accounting_overlap_s = 60

[[clusters]]
name = "testc"
site = "test lab"
backend = "local"
[clusters.settings]
state_dir = "{state_dir}"
cpus = 2
gpus = 2
mem_mb = 4096
# sandboxed with bubblewrap, as in production (jobs run as the unprivileged job uid)
kill_grace_s = 1

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
qos = ["dev", "t3"]
"""


@dataclass
class World:
    infra: Infrastructure  # the worker's: built from the compute settings, as `aifhub worker`
    maker: async_sessionmaker[AsyncSession]
    pi: dict[str, str]
    member: dict[str, str]
    outsider: dict[str, str]
    project: str
    gpu: Partition
    cpu: Partition
    gpu_alloc: Allocation
    cpu_alloc: Allocation

    @property
    def settings(self) -> Settings:
        """The compute settings (the test site file, a var folder of the test's own)."""
        return self.infra.settings


@pytest.fixture
def compute_settings(settings: Settings, tmp_path: Path, bwrap_installed: str) -> Settings:
    site = tmp_path / "site.toml"
    site.write_text(SITE_TOML.replace("{state_dir}", str(tmp_path / "backend")))
    return settings.model_copy(update={"site_file": site, "var_dir": tmp_path / "var"})


@pytest.fixture
async def world(client, db, engine, compute_settings: Settings) -> Any:
    infra = build_infrastructure(compute_settings)
    await sync_site(db, infra.site)
    await db.commit()
    pi = await api_user(db, "pi@lab.eu")
    member = await api_user(db, "member@lab.eu")
    outsider = await api_user(db, "outsider@other.eu")
    await make_org(client, pi, "lab")
    await make_project(client, pi, "proj", "lab")
    await join_org(client, pi, "lab", "member@lab.eu", member)
    r = await client.post(
        "/api/v1/projects/proj/members",
        json={"email": "member@lab.eu", "role": "member"},
        headers=pi,
    )
    assert r.status_code == 201, r.text
    await make_org(client, outsider, "other")
    await make_project(client, outsider, "theirs", "other")
    # (the app's start synced the default `local` cluster too: pick testc's partitions)
    parts = {
        p.name: p for p in await db.scalars(select(Partition).where(Partition.key.like("testc/%")))
    }
    allocs = {}
    for name in ("gpu", "cpu"):
        allocs[name] = await add_allocation(db, "proj", parts[name], Decimal(100))
    yield World(
        infra, make_sessionmaker(engine), pi, member, outsider, "proj",
        parts["gpu"], parts["cpu"], allocs["gpu"], allocs["cpu"],
    )  # fmt: skip
    await infra.aclose()


async def add_allocation(
    db: AsyncSession,
    project_slug: str,
    partition: Partition,
    amount: Decimal,
    *,
    state: str = "active",
    days: tuple[int, int] = (-1, 30),
) -> Allocation:
    from aifhub.identity.models import Project

    project = await db.scalar(select(Project).where(Project.slug == project_slug))
    assert project is not None
    now = utcnow()
    alloc = Allocation(
        project_id=project.id,
        partition_id=partition.id,
        amount=amount,
        starts_at=now + timedelta(days=days[0]),
        ends_at=now + timedelta(days=days[1]),
        state=state,
    )
    db.add(alloc)
    await db.commit()
    return alloc


async def run_worker_round(w: World) -> None:
    """One round of every compute task, as the worker runs them."""
    ctx = TaskContext(w.maker, w.infra, DOMAINS.provides)
    for task in (deliver, send_cancels, poll_states, ingest_accounting):
        await task(ctx)


async def wait_for(w: World, job_id: int, states: set[str], within: float = 30) -> Job:
    """Run worker rounds until the job is in one of `states`."""
    deadline = time.monotonic() + within
    while True:
        await run_worker_round(w)
        async with w.maker() as s:
            job = await s.get(Job, job_id)
            assert job is not None
            if job.state in states and (job.settled_at is not None or "settled" not in states):
                return job
        assert time.monotonic() < deadline, f"job {job_id} stuck in {job.state} ({job.reason})"
        await asyncio.sleep(0.1)


def job_body(**kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project": "proj", "partition": "gpu", "name": "train", "script": "echo hello",
        "time_limit": "10m", "gpus": 1,
    }  # fmt: skip
    body.update(kw)
    return body
