"""Reading, cancelling and following jobs; who may see a job is part of every query."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.backends.base import BackendError, ComputeBackend, LogStream, LogTail
from aifhub.compute.cluster_backends import backend_for
from aifhub.compute.delivery import release_unrun
from aifhub.compute.errors import JobNotCancellable
from aifhub.compute.explain import TERMINAL_FAILURES, explain
from aifhub.compute.models import Job
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import InvalidInput, NotFound, ServiceUnavailable
from aifhub.core.infra import BackendPool
from aifhub.identity import PROJECT_MANAGERS
from aifhub.identity.models import Project, ProjectMember, User
from aifhub.resources import Cluster, Partition
from aifhub.schemas.compute import JobExplanation, JobLog, JobRead
from aifhub.schemas.enums.compute import TERMINAL_STATUSES, JobStatus


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
        data["explanation"] = explanation_of(job)
        out.append(JobRead.model_validate(data))
    return out


def explanation_of(job: Job, stderr_tail: str = "") -> JobExplanation | None:
    """Why the job failed or waits (see compute.explain), from its row and its stderr's end."""
    found = explain(
        job.state,
        exit_code=job.exit_code,
        reason=job.reason,
        stderr_tail=stderr_tail,
        cancel_requested=job.cancel_requested,
        delivered=job.backend_id is not None,
    )
    if found is None:
        return None
    return JobExplanation(key=found.key, text=found.text, evidence=found.evidence)


SETTLE_WAIT = timedelta(minutes=10)  # a page stops waiting for a charge after this
EXPLAIN_TAIL = 8 * 1024  # how much of stderr's end the explanation looks at
NO_LOG = LogTail("", 0, 0)


async def _backend_of(session: AsyncSession, job: Job, backends: BackendPool) -> ComputeBackend:
    cluster = await session.get(Cluster, job.cluster_id)
    assert cluster is not None
    return backend_for(backends, cluster)


async def _tail(
    session: AsyncSession, job: Job, backends: BackendPool, stream: LogStream, max_bytes: int
) -> LogTail | None:
    """The end of one of the job's logs; None when the cluster cannot be read now."""
    if job.backend_id is None:
        return NO_LOG
    backend = await _backend_of(session, job, backends)
    try:
        return await backend.read_log_tail(job.backend_id, stream, max_bytes)
    except (BackendError, OSError):
        return None


async def read_job(
    session: AsyncSession, actor: User, job_id: int, *, backends: BackendPool
) -> JobRead:
    """One visible job; a failed one's explanation also reads the end of its stderr."""
    job = await get_job(session, actor, job_id)
    read = (await job_reads(session, [job]))[0]
    if job.state in TERMINAL_FAILURES:
        tail = await _tail(session, job, backends, "stderr", EXPLAIN_TAIL)
        read.explanation = explanation_of(job, tail.text if tail else "")
    return read


@dataclass
class JobView:
    """A job as its page shows it: the job, the end of each log (None: cannot be read now)."""

    job: JobRead
    stdout: LogTail | None
    stderr: LogTail | None

    @property
    def ended(self) -> bool:
        """True once the job will not change state any more."""
        return self.job.state in TERMINAL_STATUSES

    @property
    def poll_every_s(self) -> int | None:
        """How often its page asks again: every 2 s while it runs, every 5 s while an ended
        job's charge is being settled (for at most SETTLE_WAIT), then never."""
        if not self.ended:
            return 2
        ended_at = self.job.ended_at
        if self.job.settled_at is None and ended_at and utcnow() - ended_at < SETTLE_WAIT:
            return 5
        return None


async def job_view(
    session: AsyncSession, actor: User, job_id: int, *, backends: BackendPool, tail_bytes: int
) -> JobView:
    """The job, its explanation and the last `tail_bytes` of its stdout and stderr."""
    job = await get_job(session, actor, job_id)
    read = (await job_reads(session, [job]))[0]
    out = await _tail(session, job, backends, "stdout", tail_bytes)
    err = await _tail(session, job, backends, "stderr", tail_bytes)
    read.explanation = explanation_of(job, err.text[-EXPLAIN_TAIL:] if err else "")
    return JobView(read, out, err)


async def log_source(
    session: AsyncSession, actor: User, job_id: int, *, backends: BackendPool
) -> tuple[ComputeBackend, str] | None:
    """The backend and id to read a visible job's logs from (None before its delivery)."""
    job = await get_job(session, actor, job_id)
    if job.backend_id is None:
        return None
    return await _backend_of(session, job, backends), job.backend_id


async def iter_log(
    source: tuple[ComputeBackend, str] | None, stream: LogStream
) -> AsyncIterator[bytes]:
    """A whole log, chunk by chunk, as UTF-8 bytes (for a download)."""
    if source is None:
        return
    backend, backend_id = source
    offset = 0
    while True:
        try:
            text, offset = await backend.read_log(backend_id, offset, stream)
        except BackendError:
            return
        if not text:
            return
        yield text.encode()


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
