"""Crash safety of deliveries: every accepted job reaches the backend exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aifhub.compute.cluster_backends import backend_for
from aifhub.compute.delivery import job_spec
from aifhub.compute.models import Job
from aifhub.core.audit import AuditEvent
from aifhub.core.db import utcnow
from aifhub.resources.models import Cluster
from aifhub.schemas.enums.compute import JobStatus

from .conftest import job_body, run_worker_round

SRC = Path(__file__).resolve().parents[2] / "src"


def backend_comments(state_dir: Path) -> Counter[str]:
    """How many times each comment reached the local backend (from its own job files)."""
    seen: Counter[str] = Counter()
    for job_dir in (state_dir / "jobs").iterdir():
        # A directory without job.json is a submission killed inside the backend before it
        # accepted the job: the backend itself ignores it (never scheduled, no id returned).
        if (job_dir / "job.json").exists():
            seen[json.loads((job_dir / "job.json").read_text())["spec"]["comment"]] += 1
    return seen


async def test_crash_between_submit_and_record_is_reconciled(client, db, world):
    """The exact crash point: the backend has the job, the row still says `submitting`."""
    job = (await client.post("/api/v1/jobs", json=job_body(), headers=world.member)).json()
    async with world.maker() as s:
        row = await s.get(Job, job["id"])
        cluster = await s.get(Cluster, row.cluster_id)
        row.state, row.claimed_at = JobStatus.SUBMITTING.value, utcnow() - timedelta(minutes=1)
        await s.commit()
        from aifhub.resources.models import Partition

        partition = await s.get(Partition, row.partition_id)
        backend_id = await backend_for(world.infra.backends, cluster).submit(
            job_spec(row, partition)
        )  # ...and the worker dies here, before recording backend_id.
    await run_worker_round(world)
    async with world.maker() as s:
        row = await s.get(Job, job["id"])
    assert row.backend_id == backend_id and row.state in ("pending", "running", "completed")
    state_dir = world.settings.site_file.parent / "backend"
    assert backend_comments(state_dir)[f"aifhub:{job['id']}"] == 1


@pytest.mark.slow
async def test_sigkill_worker_during_deliveries(client, db, world, settings):
    """Kill `aifhub worker` with SIGKILL repeatedly while it delivers 60 jobs."""
    n = 60
    ids = []
    for i in range(n):
        body = job_body(partition="cpu", gpus=0, script="true", time_limit="1m", name=f"j{i}")
        r = await client.post("/api/v1/jobs", json=body, headers=world.member)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "AIFHUB_DATABASE_URL": settings.database_url,
        "AIFHUB_SITE_FILE": str(world.settings.site_file),
        "AIFHUB_VAR_DIR": str(world.settings.var_dir),
        "AIFHUB_SECRET_KEY": "test-secret",
    }

    async def states() -> str:
        async with world.maker() as s:
            rows = await s.execute(select(Job.state, Job.reason).where(Job.id.in_(ids)))
            return str(Counter(rows.all()).most_common(5))

    async def delivered() -> int:
        async with world.maker() as s:
            return int(
                await s.scalar(
                    select(func.count()).select_from(Job).where(Job.backend_id.is_not(None))
                )
                or 0
            )

    world.settings.var_dir.mkdir(parents=True, exist_ok=True)
    worker_log = (world.settings.var_dir / "worker.log").open("ab")
    kills = 0
    deadline = time.monotonic() + 150
    while await delivered() < n:
        assert time.monotonic() < deadline, (
            f"only {await delivered()} of {n} delivered: {await states()}; worker log:\n"
            + (world.settings.var_dir / "worker.log").read_text()[-3000:]
        )
        start = await delivered()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "aifhub",
            "worker",
            env=env,
            stdout=worker_log,
            stderr=worker_log,
        )
        try:
            # Let it deliver a few, then kill it mid-stream (5 times; then let it finish).
            while (
                kills < 5 and await delivered() < min(start + 4, n) and time.monotonic() < deadline
            ):
                await asyncio.sleep(0.02)
                if proc.returncode is not None:
                    break
            if kills >= 5:
                # polling a database that another process writes: no event to wait on
                while await delivered() < n and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
            await proc.wait()
            kills += 1
    assert kills >= 5
    state_dir = world.settings.site_file.parent / "backend"
    seen = backend_comments(state_dir)
    assert {f"aifhub:{i}" for i in ids} == set(seen), "a job never reached the backend"
    assert max(seen.values()) == 1, f"delivered twice: {[c for c, k in seen.items() if k > 1]}"
    async with world.maker() as s:
        rows = list(await s.scalars(select(Job).where(Job.id.in_(ids))))
    for row in rows:
        spec = json.loads((state_dir / "jobs" / row.backend_id / "job.json").read_text())["spec"]
        assert spec["comment"] == f"aifhub:{row.id}"
    assert not [r.id for r in rows if r.state in ("queued", "submitting")]
    async with world.maker() as s:
        events = Counter(
            await s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("job.re%")))
        )
    print(f"kills={kills} reconciled/requeued after crashes: {dict(events)}")


async def test_find_by_comment_falls_back_to_the_job_name():
    """On Slurm without job_comment in sacct, the job name `aifhub-<id>-...` identifies it."""
    from datetime import UTC, datetime

    from aifhub.backends.base import AccountingRecord, ComputeBackend, JobState
    from aifhub.compute.cluster_backends import find_by_comment

    class SacctOnly(ComputeBackend):  # FAKE: only accounting() answers, as sacct would
        name = "slurm"

        async def accounting(self, since):  # type: ignore[no-untyped-def]
            now = datetime.now(UTC)
            rec = dict(account="p", user="u", partition="cpu", state=JobState.PENDING,
                       submitted_at=now, started_at=None, ended_at=None, elapsed_s=0,
                       alloc_gpus=0, alloc_cpus=1)  # fmt: skip
            return [
                AccountingRecord(backend_id="77", comment=None, name="aifhub-12-train", **rec),
                AccountingRecord(backend_id="78", comment=None, name="aifhub-123-x", **rec),
                AccountingRecord(backend_id="79", comment="aifhub:5", name="other", **rec),
            ]

        submit = poll = cancel = read_log = health = None  # type: ignore[assignment]

    found = await find_by_comment(
        SacctOnly(), ["aifhub:12", "aifhub:5", "aifhub:9"], since=datetime.now(UTC)
    )
    assert found == {"aifhub:12": "77", "aifhub:5": "79"}
