"""The compute part of a project's page: its recent jobs and the way to its usage report."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.compute.jobs import visible_jobs
from aifhub.compute.models import Job
from aifhub.core.i18n import N_
from aifhub.core.modules import Section
from aifhub.identity.models import Project, User
from aifhub.resources import Partition
from aifhub.schemas.enums.identity import StaffRole

RECENT_JOBS = 5


async def recent_jobs(
    session: AsyncSession, user: User, project_id: int, *, limit: int = RECENT_JOBS
) -> list[tuple[Job, str]]:
    """The project's newest jobs this user may see, with their partition, in one statement."""
    rows = await session.execute(
        visible_jobs(user)
        .add_columns(Partition.key)
        .join(Partition, Partition.id == Job.partition_id)
        .where(Job.project_id == project_id)
        .order_by(Job.id.desc())
        .limit(limit)
    )
    return [(job, key) for job, key in rows.all()]


async def compute_section(session: AsyncSession, user: User, project: Project) -> Section:
    """Recent jobs with "New job" and "All jobs", and the usage report with its CSV."""
    return Section(
        "compute/_project_section.html",
        {
            "anchor": "jobs",
            "title": N_("Jobs and usage"),
            "jobs": await recent_jobs(session, user, project.id),
            "network_admin": user.has_role(StaffRole.ADMIN),
        },
        order=30,
    )
