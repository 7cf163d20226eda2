"""Reading, cancelling and following jobs; who may see a job is part of every query."""

from __future__ import annotations

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.backends.base import BackendError
from aifhub.compute.cluster_backends import backend_for
from aifhub.compute.delivery import release_unrun
from aifhub.compute.errors import JobNotCancellable
from aifhub.compute.models import Job
from aifhub.core import audit
from aifhub.core.errors import InvalidInput, NotFound, ServiceUnavailable
from aifhub.core.infra import BackendPool
from aifhub.identity import PROJECT_MANAGERS
from aifhub.identity.models import Project, ProjectMember, User
from aifhub.resources import Cluster, Partition
from aifhub.schemas.compute import JobLog, JobRead
from aifhub.schemas.enums.compute import JobStatus


def visible_jobs(actor: User) -> Select[Job]:
    """Jobs the actor may see: their own, all of projects they manage; staff see all."""
    query = select(Job)
    if actor.is_staff:
        return query
    manages = exists().where(
        ProjectMember.project_id == Job.project_id,
        ProjectMember.user_id == actor.id,
        ProjectMember.role.in_(PROJECT_MANAGERS),
    )
    return query.where(or_(Job.user_id == actor.id, manages))


async def job_reads(session: AsyncSession, jobs: list[Job]) -> list[JobRead]:
    """Response bodies of jobs, with names resolved in one query."""
    if not jobs:
        return []
    rows = await session.execute(
        select(Job.id, Project.slug, User.email, Cluster.name, Partition.key)
        .join(Project, Project.id == Job.project_id)
        .join(User, User.id == Job.user_id)
        .join(Cluster, Cluster.id == Job.cluster_id)
        .join(Partition, Partition.id == Job.partition_id)
        .where(Job.id.in_([j.id for j in jobs]))
    )
    names = {r[0]: r[1:] for r in rows.all()}
    out = []
    for job in jobs:
        project, email, cluster, partition = names[job.id]
        data = {c: getattr(job, c) for c in JobRead.model_fields if hasattr(job, c)}
        data.update(project=project, user=email, cluster=cluster, partition=partition)
        out.append(JobRead.model_validate(data))
    return out


async def list_jobs(
    session: AsyncSession,
    actor: User,
    *,
    limit: int,
    offset: int,
    project: str | None = None,
    state: str | None = None,
) -> tuple[list[Job], int]:
    """Visible jobs, newest first, optionally of one project or in one state."""
    query = visible_jobs(actor)
    if project:
        query = query.where(
            Job.project_id == select(Project.id).where(Project.slug == project).scalar_subquery()
        )
    if state:
        if state not in {s.value for s in JobStatus}:
            raise InvalidInput(f"Unknown state '{state}'; use one of {', '.join(JobStatus)}.")
        query = query.where(Job.state == state)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Job.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def get_job(session: AsyncSession, actor: User, job_id: int) -> Job:
    """A visible job (404 otherwise)."""
    job = await session.scalar(visible_jobs(actor).where(Job.id == job_id))
    if job is None:
        raise NotFound(f"No job {job_id} that you can see.")
    return job


async def cancel_job(session: AsyncSession, actor: User, job_id: int) -> Job:
    """Cancel a job: a queued one at once; otherwise the worker cancels it on the cluster."""
    job = await get_job(session, actor, job_id)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.refresh(job, with_for_update=True)
    if job.is_terminal:
        raise JobNotCancellable(f"Job {job.id} has already ended ({job.state}).")
    if job.state == JobStatus.QUEUED.value:
        job.cancel_requested = True
        await release_unrun(
            session, job, state=JobStatus.CANCELLED.value, reason="cancelled by the user"
        )
        return job
    if not job.cancel_requested:
        job.cancel_requested = True
        job.reason = "cancellation requested"
        await audit.record(session, "job.cancel_requested", "job", job.id)
    return job


async def read_job_log(
    session: AsyncSession,
    actor: User,
    job_id: int,
    *,
    backends: BackendPool,
    offset: int = 0,
    stream: str = "stdout",
) -> JobLog:
    """A chunk of the job's output from a byte offset (empty until the job is delivered)."""
    if stream not in ("stdout", "stderr"):
        raise InvalidInput("stream must be 'stdout' or 'stderr'.")
    if offset < 0:
        raise InvalidInput("offset must be 0 or more.")
    job = await get_job(session, actor, job_id)
    if job.backend_id is None:
        return JobLog(text="", next_offset=offset, stream=stream, finished=job.is_terminal)
    cluster = await session.get(Cluster, job.cluster_id)
    assert cluster is not None
    try:
        text, next_offset = await backend_for(backends, cluster).read_log(
            job.backend_id,
            offset,
            stream,  # type: ignore[arg-type]
        )
    except BackendError as exc:
        raise ServiceUnavailable(f"The cluster '{cluster.name}' cannot be read now: {exc}") from exc
    return JobLog(text=text, next_offset=next_offset, stream=stream, finished=job.is_terminal)
