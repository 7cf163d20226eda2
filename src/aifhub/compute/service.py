"""Job submission: every check happens here, before anything reaches a backend."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import access, resources
from aifhub.backends.local.sandbox import BindPath, allowed_workdir
from aifhub.compute import inputs as input_hooks
from aifhub.compute import network
from aifhub.compute.errors import (
    AllocationExhausted,
    NotProjectMember,
    ResourcesExceedPartition,
    WorkdirNotAllowed,
)
from aifhub.compute.logins import approved_login, missing_login_message
from aifhub.compute.models import Job
from aifhub.core import audit
from aifhub.core.errors import AppError, NotFound, PermissionDenied, about
from aifhub.identity import visible_projects
from aifhub.identity.models import Project, ProjectMember, User
from aifhub.resources import Cluster, Partition
from aifhub.schemas.compute import JobCreate, JobResources
from aifhub.schemas.enums.compute import JobStatus

SLURM_BACKENDS = ("slurm", "slurmrest")


def charge_units(partition: Partition, *, gpus: int, cpus: int) -> int:
    """What the partition charges per second: GPUs on GPU partitions, cores otherwise."""
    return gpus if partition.unit == "gpu_hours" else cpus


@dataclass(frozen=True)
class Reservation:
    """The hours a job reserves: time limit x GPUs (or cores) x the partition's factor."""

    hours: Decimal
    time_limit_s: int
    units: int  # GPUs on a gpu_hours partition, cores otherwise
    gpu: bool  # True when the units are GPUs
    factor: Decimal


def reservation(partition: Partition, data: JobResources) -> Reservation:
    """What a submission reserves on a partition (the one formula, for submit and estimate)."""
    units = charge_units(partition, gpus=data.gpus, cpus=data.ntasks * data.cpus_per_task)
    factor = Decimal(partition.charge_factor) if partition.charged else Decimal(0)
    return Reservation(
        hours=access.hours(data.time_limit_s, units, factor),
        time_limit_s=data.time_limit_s,
        units=units,
        gpu=partition.unit == "gpu_hours",
        factor=factor,
    )


def check_resources(partition: Partition, data: JobResources) -> None:
    """Refuse resources the partition cannot give, naming the limit."""
    p = partition
    problems: list[tuple[str, str]] = []  # (the input at fault, what is wrong)
    if data.nodes > p.nodes:
        problems.append(("nodes", f"{data.nodes} nodes asked, the partition has {p.nodes}"))
    if data.gpus > p.gpus_per_node * data.nodes:
        problems.append(
            (
                "gpus",
                f"{data.gpus} GPUs asked, at most {p.gpus_per_node} per node x {data.nodes} "
                f"node(s) = {p.gpus_per_node * data.nodes}",
            )
        )
    if p.unit == "gpu_hours" and data.gpus < 1:
        problems.append(("gpus", f"'{p.key}' is charged per GPU: ask for at least 1 GPU"))
    cpus = data.ntasks * data.cpus_per_task
    if cpus > p.cores_per_node * data.nodes:
        problems.append(
            (
                "cpus_per_task",
                f"{cpus} cores asked (ntasks x cpus_per_task), at most {p.cores_per_node} per node "
                f"x {data.nodes} node(s)",
            )
        )
    if data.mem_mb is not None and data.mem_mb > p.mem_mb_per_node:
        problems.append(
            ("mem_mb", f"{data.mem_mb} MB memory asked, at most {p.mem_mb_per_node} per node")
        )
    if data.time_limit_s > p.max_time_s:
        limit = f"the partition's maximum is {p.max_time_s} s"
        problems.append(("time_limit", f"time limit {data.time_limit_s} s asked, {limit}"))
    if data.qos is not None and data.qos not in p.qos:
        problems.append(("qos", f"QoS '{data.qos}' is not one of {', '.join(p.qos) or 'none'}"))
    if problems:
        fields = {f for f, _ in problems}
        raise ResourcesExceedPartition(
            f"On partition '{p.key}': " + "; ".join(t for _, t in problems) + ".",
            # One input at fault: the message goes next to it; several: the partition is.
            field=fields.pop() if len(fields) == 1 else "partition",
        )


def check_balance(partition: Partition, cost: Reservation, remaining: Decimal) -> None:
    """Refuse a reservation larger than what the paying allocation has left."""
    if cost.hours > remaining:
        raise AllocationExhausted(
            f"This job needs {cost.hours} normalised hours ({cost.time_limit_s} s x {cost.units} "
            f"{'GPU' if cost.gpu else 'core'}(s) x factor {cost.factor}); "
            f"the allocation on '{partition.key}' has {remaining} left. Shorten the "
            "time limit, use fewer resources, or ask for more hours.",
            requested=str(cost.hours),
            remaining=str(remaining),
        )


def check_workdir(cluster: Cluster, workdir: str | None) -> None:
    """On a local cluster, a workdir must be inside the site's `bind_paths` (host folders).

    On Slurm clusters a workdir is a path on the cluster, where the job runs as the user's own
    login and the cluster's permissions apply; only the local backend binds host paths.
    """
    if workdir is None or cluster.backend != "local":
        return
    paths = [BindPath.from_setting(b) for b in cluster.settings.get("bind_paths", [])]
    if not allowed_workdir(workdir, paths):
        allowed = ", ".join(p.path for p in paths)
        raise WorkdirNotAllowed(
            f"workdir {workdir} is not allowed on cluster '{cluster.name}'; "
            + (f"use a folder inside {allowed}, " if allowed else "")
            + "or leave workdir empty to use the job's own folder.",
            field="workdir",
        )


async def member_project(session: AsyncSession, user: User, slug: str) -> Project:
    """The project if the user is one of its members (404 if invisible, 403 if not a member)."""
    project = await session.scalar(visible_projects(user).where(Project.slug == slug))
    if project is None:
        raise NotFound(f"No project '{slug}' that you can see.", field="project")
    member = await session.scalar(
        select(ProjectMember.id).where(
            ProjectMember.project_id == project.id, ProjectMember.user_id == user.id
        )
    )
    if member is None:
        raise NotProjectMember(
            f"You are not a member of project '{slug}'; ask its PI to add you before submitting.",
            field="project",
        )
    return project


async def member_project_slugs(session: AsyncSession, user: User) -> list[str]:
    """The slugs of the projects the user may submit jobs to (those they are a member of)."""
    return list(
        await session.scalars(
            select(Project.slug)
            .join(ProjectMember, ProjectMember.project_id == Project.id)
            .where(ProjectMember.user_id == user.id)
            .order_by(Project.slug)
        )
    )


async def cluster_login(session: AsyncSession, *, user_id: int, cluster_id: int) -> str | None:
    """The user's approved login on the cluster (a pending request is no login)."""
    return await approved_login(session, user_id=user_id, cluster_id=cluster_id)


async def _job_by_key(session: AsyncSession, user: User, key: str) -> Job | None:
    return await session.scalar(
        select(Job)
        .where(Job.user_id == user.id, Job.idempotency_key == key)
        .execution_options(populate_existing=True)
    )


async def submit_job(
    session: AsyncSession,
    user: User,
    *,
    data: JobCreate,
    job_inputs: input_hooks.JobInputs | None,
    idempotency_key: str | None = None,
) -> tuple[Job, bool]:
    """Check and record a job (state `queued`) with its reservation; (job, created).

    `job_inputs` checks the inputs the job names (the catalogue's, None where there is none).
    """
    if idempotency_key is not None:
        first = await _job_by_key(session, user, idempotency_key)
        if first is not None:
            return first, False
    with about("partition"):
        partition, cluster = await resources.find_partition(session, data.partition)
    project = await member_project(session, user, data.project)
    check_resources(partition, data)
    login = await cluster_login(session, user_id=user.id, cluster_id=cluster.id)
    if cluster.backend in SLURM_BACKENDS and login is None:
        raise PermissionDenied(
            await missing_login_message(session, user_id=user.id, cluster=cluster)
        )
    with about("project"):  # the project has no allocation there
        allocation = await access.current_allocation(
            session,
            project=project,
            partition_id=partition.id,
            partition_key=partition.key,
            lock=True,
        )
    if idempotency_key is not None:
        # Again under the allocation's row lock: a parallel retry with the same key waited
        # here for the first one to commit, and now finds its job (PostgreSQL). Where no row
        # lock exists (SQLite) the unique key refuses the duplicate: a 409, never a second job.
        first = await _job_by_key(session, user, idempotency_key)
        if first is not None:
            return first, False
    cost = reservation(partition, data)
    reserve = cost.hours
    balance = await access.get_balance(session, allocation.id)
    check_balance(partition, cost, balance.remaining)
    check_workdir(cluster, data.workdir)
    if data.allow_network:
        await network.check_network(session, project=project, partition=partition)
    await input_hooks.check_inputs(
        job_inputs, session, user=user, project=project, inputs=data.inputs
    )
    account_format = str(cluster.settings.get("account_format", "{project}"))
    job = Job(
        project_id=project.id,
        user_id=user.id,
        cluster_id=cluster.id,
        partition_id=partition.id,
        allocation_id=allocation.id,
        idempotency_key=idempotency_key,
        name=data.name,
        script=data.script,
        account=account_format.format(project=project.slug),
        login=login,
        time_limit_s=data.time_limit_s,
        nodes=data.nodes,
        ntasks=data.ntasks,
        cpus_per_task=data.cpus_per_task,
        gpus=data.gpus,
        mem_mb=data.mem_mb,
        env=dict(data.env),
        workdir=data.workdir,
        qos=data.qos,
        constraint=partition.constraint,
        inputs=[i.model_dump(exclude_none=True) for i in data.inputs],
        allow_network=data.allow_network,
        state=JobStatus.QUEUED.value,
        reason="waiting for delivery to the cluster",
        reserved_hours=reserve,
    )
    session.add(job)
    await session.flush()
    access.reserve(
        session,
        allocation_id=allocation.id,
        amount=reserve,
        job_key=f"job:{job.id}",
        user_id=user.id,
        note=f"reserve for job {job.id}",
    )
    await audit.record(
        session,
        "job.submitted",
        "job",
        job.id,
        project=project.slug,
        partition=partition.key,
        reserved_hours=reserve,
        gpus=data.gpus,
        time_limit_s=data.time_limit_s,
    )
    await session.flush()
    return job, True


@dataclass(frozen=True)
class Estimate:
    """What a submission with these resources would reserve, and what the payer has left.

    `problem` is the first refusal the submission would meet now (None: it would pass these
    checks); `cost` and `remaining` are None where they cannot be known (unknown partition,
    no allocation).
    """

    partition: str
    cost: Reservation | None
    remaining: Decimal | None
    problem: str | None


async def estimate_job(session: AsyncSession, user: User, data: JobResources) -> Estimate:
    """The reservation of a would-be job, by the same checks and formula as `submit_job`,
    in its order (partition, project, resources, allocation, balance). Writes nothing."""
    try:
        partition, _ = await resources.find_partition(session, data.partition)
    except AppError as exc:
        return Estimate(data.partition, None, None, exc.detail)
    cost = reservation(partition, data)
    problem: str | None = None
    remaining: Decimal | None = None
    try:
        project = await member_project(session, user, data.project)
        check_resources(partition, data)
        allocation = await access.current_allocation(
            session, project=project, partition_id=partition.id, partition_key=partition.key
        )
        remaining = (await access.get_balance(session, allocation.id)).remaining
        check_balance(partition, cost, remaining)
    except AppError as exc:
        problem = exc.detail
    return Estimate(partition.key, cost, remaining, problem)
