"""The outbox: queued jobs handed to their cluster's backend exactly once.

A job is recorded `queued` in the submission transaction. A worker claims it (`submitting`,
committed), submits it carrying `comment = "aifhub:<job id>"`, then records the backend id
(`pending`, committed). If the worker dies between the submit and the record, the job stays
`submitting`; once its lease is over, a worker looks it up on the backend by that comment and
records the id it finds, or queues it again when the backend never got it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aifhub import access
from aifhub.backends.base import (
    BackendError,
    BackendUnavailable,
    JobSpec,
    StagedInput,
    SubmissionRejected,
)
from aifhub.compute import inputs as input_hooks
from aifhub.compute import network
from aifhub.compute.cluster_backends import backend_for, find_by_comment
from aifhub.compute.config import ComputeConfig
from aifhub.compute.models import Job
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import AppError
from aifhub.core.infra import BackendPool, Infrastructure
from aifhub.identity.models import Project
from aifhub.resources import Cluster, Partition
from aifhub.schemas.enums.compute import JobStatus

log = logging.getLogger("aifhub.compute.delivery")


def _skip_locked(query: Select[Job], session: AsyncSession) -> Select[Job]:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=Job)
    return query


def job_spec(job: Job, partition: Partition, staged: list[StagedInput] | None = None) -> JobSpec:
    """The backend's view of a job row; name and comment carry the platform's job id."""
    return JobSpec(
        name=f"aifhub-{job.id}-{job.name}"[:64],
        script=job.script,
        partition=partition.name,
        account=job.account,
        user=job.login,
        time_limit_s=job.time_limit_s,
        nodes=job.nodes,
        ntasks=job.ntasks,
        cpus_per_task=job.cpus_per_task,
        gpus=job.gpus,
        mem_mb=job.mem_mb,
        env={**job.env, "AIFHUB_JOB_ID": str(job.id)},
        workdir=job.workdir,
        qos=job.qos,
        constraint=job.constraint,
        inputs=list(staged or []),
        allow_network=job.allow_network,
        comment=job.comment,
    )


async def release_unrun(session: AsyncSession, job: Job, *, state: str, reason: str) -> None:
    """End a job that never ran: lift its whole reservation, charge nothing."""
    now = utcnow()
    job.state, job.reason, job.ended_at, job.settled_at = state, reason[:500], now, now
    job.charged_hours = job.charged_hours or Decimal(0)
    access.release(
        session,
        allocation_id=job.allocation_id,
        amount=job.reserved_hours,
        job_key=f"job:{job.id}",
        user_id=job.user_id,
        note=f"job {job.id} {state} before running",
    )
    await audit.record(session, f"job.{state}", "job", job.id, reason=reason[:200])


async def reconcile_submitting(
    maker: async_sessionmaker[AsyncSession], backends: BackendPool, config: ComputeConfig
) -> int:
    """Settle jobs a dead worker left in `submitting`, by the backend's own records."""
    cutoff = utcnow() - timedelta(seconds=config.delivery_lease_s)
    done = 0
    async with maker() as session:
        query = select(Job).where(Job.state == JobStatus.SUBMITTING.value, Job.claimed_at < cutoff)
        jobs = list(await session.scalars(_skip_locked(query.order_by(Job.id), session)))
        by_cluster: dict[int, list[Job]] = defaultdict(list)
        for job in jobs:
            by_cluster[job.cluster_id].append(job)
        for cluster_id, group in by_cluster.items():
            cluster = await session.get(Cluster, cluster_id)
            assert cluster is not None
            backend = backend_for(backends, cluster)
            since = min(j.created_at for j in group)
            try:
                found = await find_by_comment(backend, [j.comment for j in group], since=since)
            except BackendError as exc:
                log.warning("cannot reconcile on %s yet: %s", cluster.name, exc)
                continue
            for job in group:
                backend_id = found.get(job.comment)
                if backend_id is not None:
                    job.backend_id, job.state = backend_id, JobStatus.PENDING.value
                    job.delivered_at, job.reason = utcnow(), None
                    await audit.record(
                        session, "job.reconciled", "job", job.id, backend_id=backend_id
                    )
                else:
                    job.state = JobStatus.QUEUED.value
                    job.reason = "delivery was interrupted; queued again"
                    await audit.record(session, "job.requeued", "job", job.id)
                done += 1
        await session.commit()
    return done


async def deliver_queued(
    maker: async_sessionmaker[AsyncSession],
    infra: Infrastructure,
    config: ComputeConfig,
    job_inputs: input_hooks.JobInputs | None,
) -> int:
    """Hand queued jobs to their clusters; a cluster that is down keeps its jobs queued.

    `job_inputs` stages the inputs a job names (the catalogue's, None where there is none).
    """
    async with maker() as session:
        cluster_ids = set(
            await session.scalars(
                select(Job.cluster_id).where(Job.state == JobStatus.QUEUED.value).distinct()
            )
        )
        healthy: list[int] = []
        for cluster_id in cluster_ids:
            cluster = await session.get(Cluster, cluster_id)
            assert cluster is not None
            ok = cluster.enabled and await _healthy(backend_for(infra.backends, cluster))
            if ok:
                healthy.append(cluster_id)
            else:
                await _mark_waiting(session, cluster, "disabled" if not cluster.enabled else "")
        await session.commit()
        if not healthy:
            return 0
        # Claim: `submitting` is committed before anything reaches a backend.
        query = (
            select(Job)
            .where(Job.state == JobStatus.QUEUED.value, Job.cluster_id.in_(healthy))
            .order_by(Job.id)
            .limit(config.delivery_batch)
        )
        jobs = list(await session.scalars(_skip_locked(query, session)))
        now = utcnow()
        for job in jobs:
            job.state, job.claimed_at, job.attempts = (
                JobStatus.SUBMITTING.value,
                now,
                job.attempts + 1,
            )
        await session.commit()
        for job in jobs:
            await _deliver_one(session, job, infra, job_inputs)
    return len(jobs)


async def _healthy(backend: object) -> bool:
    try:
        return bool(await backend.health())  # type: ignore[attr-defined]
    except BackendError:
        return False


async def _mark_waiting(session: AsyncSession, cluster: Cluster, why: str) -> None:
    reason = (
        f"cluster '{cluster.name}' is {why or 'unavailable'}; the job will be sent when it is back"
    )
    await session.execute(
        update(Job)
        .where(Job.cluster_id == cluster.id, Job.state == JobStatus.QUEUED.value)
        .values(reason=reason)
    )


async def _deliver_one(
    session: AsyncSession, job: Job, infra: Infrastructure, job_inputs: input_hooks.JobInputs | None
) -> None:
    cluster = await session.get(Cluster, job.cluster_id)
    partition = await session.get(Partition, job.partition_id)
    assert cluster is not None and partition is not None
    if job.allow_network:
        # Re-checked here: a grant revoked (or a site file changed) while the job was queued
        # fails it rather than silently running it with or without the network it asked for.
        project = await session.get(Project, job.project_id)
        assert project is not None
        refusal = await network.network_refusal(session, project=project, partition=partition)
        if refusal is not None:
            reason = f"not started, network no longer allowed: {refusal}"
            await release_unrun(session, job, state=JobStatus.FAILED.value, reason=reason)
            await session.commit()
            return
    try:
        staged = await input_hooks.stage_inputs(job_inputs, session, job=job, infra=infra)
    except AppError as exc:  # a grant revoked or expired while queued, files gone: never runs
        log.warning("job %s inputs refused: %s", job.id, exc.detail)
        reason = f"not started, inputs refused: {exc.detail}"
        await release_unrun(session, job, state=JobStatus.FAILED.value, reason=reason)
        await session.commit()
        return
    try:
        backend_id = await backend_for(infra.backends, cluster).submit(
            job_spec(job, partition, staged)
        )
    except BackendUnavailable as exc:
        job.state = JobStatus.QUEUED.value
        job.reason = f"cluster '{cluster.name}' is unavailable ({exc}); will retry"[:500]
        await session.commit()
        return
    except (SubmissionRejected, ValueError, AppError) as exc:
        detail = exc.detail if isinstance(exc, AppError) else str(exc)
        log.warning("job %s refused by %s: %s", job.id, cluster.name, detail)
        await release_unrun(
            session, job, state=JobStatus.FAILED.value, reason=f"rejected by the cluster: {detail}"
        )
        await session.commit()
        return
    job.backend_id, job.state, job.delivered_at = backend_id, JobStatus.PENDING.value, utcnow()
    job.reason = None
    await audit.record(session, "job.delivered", "job", job.id, backend_id=backend_id)
    await session.commit()
