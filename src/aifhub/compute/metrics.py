"""The compute domain's gauges: jobs by state, and the submissions not yet handed over."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.compute.models import Job
from aifhub.core.metrics import GaugeSamples
from aifhub.schemas.enums.compute import JobStatus

OUTBOX_STATES = (JobStatus.QUEUED.value, JobStatus.SUBMITTING.value)


async def job_gauges(session: AsyncSession) -> Sequence[GaugeSamples]:
    """Jobs per state (every state listed, 0 included), and the delivery backlog."""
    rows = await session.execute(select(Job.state, func.count()).group_by(Job.state))
    counts = dict(rows.all())
    by_state = [((s.value,), float(counts.get(s.value, 0))) for s in JobStatus]
    backlog = float(sum(counts.get(s, 0) for s in OUTBOX_STATES))
    return [
        GaugeSamples(
            "aifhub_jobs", "Jobs recorded by the platform, by state", ("state",), by_state
        ),
        GaugeSamples(
            "aifhub_job_delivery_backlog",
            "Accepted jobs not yet handed to their cluster (queued or being submitted)",
            (),
            [((), backlog)],
        ),
    ]
