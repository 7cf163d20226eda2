"""The AI Factory Compute API (the `ai-factory-sdk` client's) over the compute services.

Who calls: `X-SLURM-USER-TOKEN` carries an aifhub API token and `X-SLURM-USER-NAME` names its
user, by their aifhub e-mail address or one of their approved cluster logins (a proven
identity, never a user's word); anything else is a 401 that says what to send.

Which project pays: the SDK names none. The base URL `.../compute-api/v1/projects/<slug>` or
the header `X-AIFHUB-PROJECT: <slug>` chooses one; without either the user's only project is
used, and a user of several projects is told to choose among them.

Which states: the SDK knows four. queued, submitting and pending are `queued`; running is
`running`; completed is `completed`; failed, cancelled, timeout, node_fail and out_of_memory
are `errored` (the SDK's server maps Slurm's CANCELLED to `errored` too).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import access, resources
from aifhub.compute import jobs as job_service
from aifhub.compute import service
from aifhub.compute.errors import NotProjectMember
from aifhub.compute.inputs import JobInputs
from aifhub.compute.models import ClusterLogin, Job
from aifhub.core import context
from aifhub.core.db import utcnow
from aifhub.core.errors import AppError, InvalidInput, NotAuthenticated, PermissionDenied
from aifhub.identity import Principal, resolve_token
from aifhub.identity.models import Project, User
from aifhub.resources import Partition
from aifhub.schemas.aif_api import AifJobDetail, AifJobListItem, AifJobRequest
from aifhub.schemas.compute import JobCreate
from aifhub.schemas.enums.compute import JobStatus, LoginStatus

BASE_PATH = "/compute-api/v1"
PROJECT_HEADER = "X-AIFHUB-PROJECT"

QUEUED, RUNNING, COMPLETED, ERRORED = "queued", "running", "completed", "errored"
AIF_STATUS = {
    JobStatus.QUEUED: QUEUED,
    JobStatus.SUBMITTING: QUEUED,
    JobStatus.PENDING: QUEUED,
    JobStatus.RUNNING: RUNNING,
    JobStatus.COMPLETED: COMPLETED,
    JobStatus.FAILED: ERRORED,
    JobStatus.CANCELLED: ERRORED,
    JobStatus.TIMEOUT: ERRORED,
    JobStatus.NODE_FAIL: ERRORED,
    JobStatus.OUT_OF_MEMORY: ERRORED,
}
NO_OUTPUT_PATHS = (
    "{field} is not supported: the platform keeps each job's output itself; leave it out and "
    "read the output on the job's page (logs_url) or at /api/v1/jobs/{{id}}/log."
)


class AmbiguousProject(InvalidInput):
    type, title = "ambiguous-project", "Which project pays is ambiguous"


class ContainerJobsUnavailable(InvalidInput):
    type, title = "container-jobs-unavailable", "Container jobs are not available"


CONTAINERS_LATER = (
    "Container jobs are not available on this platform yet; submit a batch script with "
    "POST /jobs instead."
)


async def authenticate(
    session: AsyncSession, *, name: str | None, token: str | None, write: bool
) -> User:
    """The user of the token in X-SLURM-USER-TOKEN, whom X-SLURM-USER-NAME must name (401)."""
    if not token or not token.strip():
        raise NotAuthenticated(
            "Send your aifhub API token in the X-SLURM-USER-TOKEN header "
            "(create one with `aifhub login` or on your account page)."
        )
    principal: Principal = await resolve_token(session, token.strip())
    user = principal.user
    if not name or not await _names_user(session, user, name.strip()):
        raise NotAuthenticated(
            "X-SLURM-USER-NAME does not name this token's user: send your aifhub e-mail "
            "address or one of your approved cluster logins."
        )
    if write and "write" not in principal.scopes:
        raise PermissionDenied("This API token is read-only; create one with the 'write' scope.")
    context.set_actor(user.id, user.email)
    return user


async def _names_user(session: AsyncSession, user: User, name: str) -> bool:
    if name.lower() == user.email.lower():
        return True
    login = await session.scalar(
        select(ClusterLogin.id).where(
            ClusterLogin.user_id == user.id,
            ClusterLogin.login == name,
            ClusterLogin.status == LoginStatus.APPROVED.value,
        )
    )
    return login is not None


async def paying_project(session: AsyncSession, user: User, chosen: str | None) -> str:
    """The slug of the chosen project (by the base URL or X-AIFHUB-PROJECT), else of the
    user's only project (refused when the user is in none or in several, naming the choices).
    A chosen project's membership is checked by `submit_job`, as for every submission."""
    if chosen:
        return chosen.strip()
    slugs = await service.member_project_slugs(session, user)
    if not slugs:
        raise NotProjectMember(
            "You are a member of no project; join one (or open one) before submitting jobs."
        )
    if len(slugs) > 1:
        raise AmbiguousProject(
            f"You are a member of several projects ({', '.join(slugs)}); say which one pays: "
            f"use the base URL {BASE_PATH}/projects/<project> (or send the header "
            f"'{PROJECT_HEADER}: <project>').",
            choices=slugs,
        )
    return slugs[0]


async def default_partition(session: AsyncSession, user: User, slug: str) -> str:
    """The only partition where the project has an active allocation (else say the choices)."""
    project = await service.member_project(session, user, slug)
    paying = await access.paying_allocations(session, project_id=project.id)
    keys = sorted(
        await session.scalars(select(Partition.key).where(Partition.id.in_(list(paying))))
    )
    if len(keys) == 1:
        return keys[0]
    if not keys:
        raise InvalidInput(
            f"Project '{project.slug}' has no active allocation; apply for access first.",
            field="partition",
        )
    raise InvalidInput(
        f"Name a partition: project '{project.slug}' has allocations on {', '.join(keys)}.",
        field="partition",
    )


def gpus_of(gres: str | None, partition: Partition) -> int:
    """The GPU count of Slurm's gres (`gpu`, `gpu:2`, `gpu:a40:1`), its type checked."""
    if gres is None:
        return 0
    parts = gres.split(":")
    if parts[0] != "gpu" or len(parts) > 3:
        raise InvalidInput(
            f"gres '{gres}' is not understood; write gpu:<count> or gpu:<type>:<count>.",
            field="gres",
        )
    kind: str | None = None
    count = "1"
    if len(parts) == 2:
        kind, count = (None, parts[1]) if parts[1].isdigit() else (parts[1], "1")
    elif len(parts) == 3:
        kind, count = parts[1], parts[2]
    if not count.isdigit() or int(count) < 1:
        raise InvalidInput(f"gres '{gres}' must count 1 GPU or more.", field="gres")
    accel = partition.accelerator
    if kind is not None and (accel is None or kind.lower() != accel.lower()):
        raise InvalidInput(
            f"gres asks for '{kind}' GPUs; partition '{partition.key}' has "
            + (f"'{accel}' GPUs." if accel else "no GPUs."),
            field="gres",
        )
    return int(count)


async def to_job_create(
    session: AsyncSession, user: User, body: AifJobRequest, *, project_header: str | None
) -> JobCreate:
    """The platform's submission for the SDK's request (time_limit: minutes into seconds)."""
    for field in ("standard_output", "standard_error"):
        if getattr(body, field) is not None:
            raise InvalidInput(NO_OUTPUT_PATHS.format(field=field), field=field)
    slug = await paying_project(session, user, project_header)
    key = body.partition or await default_partition(session, user, slug)
    gpus = 0
    if body.gres is not None:  # its GPU type is checked against the partition's
        partition, _ = await resources.find_partition(session, key)
        gpus = gpus_of(body.gres, partition)
    data: dict[str, object] = {
        "project": slug,
        "partition": key,
        "name": body.name,
        "script": body.script,
        "gpus": gpus,
    }
    if body.time_limit is not None:
        data["time_limit"] = f"{body.time_limit}m"  # minutes, as Slurm reads --time=N
    if body.tasks is not None:
        data["ntasks"] = body.tasks
    if body.cpus_per_task is not None:
        data["cpus_per_task"] = body.cpus_per_task
    try:
        return JobCreate.model_validate(data)
    except ValueError as exc:  # e.g. a name the scheduler would not take
        raise InvalidInput(_first_error(exc)) from exc


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg"))
    return str(exc)


async def submit(
    session: AsyncSession,
    user: User,
    body: AifJobRequest,
    *,
    project_header: str | None,
    job_inputs: JobInputs | None,
) -> Job:
    """Submit the SDK's job through `compute.service.submit_job` (every check applies)."""
    data = await to_job_create(session, user, body, project_header=project_header)
    job, _ = await service.submit_job(session, user, data=data, job_inputs=job_inputs)
    return job


def refuse_container() -> AppError:
    """The refusal of a container job (they come with the container runtime)."""
    return ContainerJobsUnavailable(CONTAINERS_LATER)


def _at(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


async def list_jobs(
    session: AsyncSession,
    user: User,
    *,
    limit: int,
    offset: int,
    start_time: int | None = None,
    end_time: int | None = None,
    update_time: int | None = None,
    project: str | None = None,
) -> tuple[list[Job], int]:
    """Visible jobs (of one project, if named), newest first, as sacct selects them: alive at
    some moment between start_time and end_time (Unix seconds), changed since update_time."""
    query = job_service.visible_jobs(user)
    if project:
        slug = select(Project.id).where(Project.slug == project).scalar_subquery()
        query = query.where(Job.project_id == slug)
    if (start := _at(start_time)) is not None:
        query = query.where(or_(Job.ended_at.is_(None), Job.ended_at >= start))
    if (end := _at(end_time)) is not None:
        query = query.where(Job.created_at <= end)
    if (since := _at(update_time)) is not None:
        moments = (Job.created_at, Job.delivered_at, Job.started_at, Job.ended_at)
        query = query.where(or_(*(m >= since for m in moments)))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Job.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total or 0)


def _unix(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite gives back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def aif_status(state: str) -> str:
    """One of the SDK's four states for a platform state."""
    return AIF_STATUS[JobStatus(state)]


def _duration(job: Job) -> int | None:
    if job.elapsed_s is not None:
        return job.elapsed_s
    start, end = _unix(job.started_at), _unix(job.ended_at)
    if start is None:
        return None
    return max(0, (end if end is not None else _unix(utcnow()) or 0) - start)


def list_item(job: Job) -> AifJobListItem:
    """A job as the SDK's list shows it."""
    return AifJobListItem(
        job_id=str(job.id),
        name=job.name,
        status=aif_status(job.state),
        duration=_duration(job),
        start_time=_unix(job.started_at),
        end_time=_unix(job.ended_at),
    )


async def job_detail(
    session: AsyncSession, user: User, job_id: int, *, site_url: str
) -> AifJobDetail:
    """One visible job with the SDK's field names (404 otherwise)."""
    job = await job_service.get_job(session, user, job_id)
    partition = await session.get(Partition, job.partition_id)
    return AifJobDetail(
        **list_item(job).model_dump(),
        partition=partition.name if partition else None,
        exit_code=job.exit_code,
        working_directory=job.workdir,
        gres=f"gpu:{job.gpus}" if job.gpus else None,
        submit_time=_unix(job.created_at),
        output_dir=job.workdir,
        logs_url=logs_url(site_url, job.id),
    )


def logs_url(site_url: str, job_id: int) -> str:
    """The job's page, where its output is shown and downloaded."""
    return f"{site_url.rstrip('/')}/jobs/{job_id}"


async def cancel(session: AsyncSession, user: User, job_id: int) -> str:
    """Cancel a visible job; the sentence says what happens next."""
    job = await job_service.cancel_job(session, user, job_id)
    if job.state == JobStatus.CANCELLED.value:
        return f"Job {job.id} cancelled."
    return f"Job {job.id} will be cancelled on the cluster within seconds."
