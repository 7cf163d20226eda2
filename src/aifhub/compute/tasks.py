"""The compute domain's worker tasks: deliver, poll, ingest accounting, cancel.

Usage notices (80 % / 100 % of an allocation) are the access domain's task
(`access.allocation_notices`), which reads the same ledger.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aifhub import resources
from aifhub.backends.base import BackendError, JobState
from aifhub.compute.accounting import ingest_records
from aifhub.compute.cluster_backends import backend_for
from aifhub.compute.cluster_check import check_clusters, check_targets
from aifhub.compute.config import compute_config
from aifhub.compute.delivery import deliver_queued, reconcile_submitting, release_unrun
from aifhub.compute.inputs import job_inputs_in
from aifhub.compute.login_proofs import sync_mapping_files
from aifhub.compute.models import AccountingCursor, Job
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.infra import Infrastructure
from aifhub.core.modules import TaskContext
from aifhub.resources import Cluster
from aifhub.schemas.enums.compute import JobStatus

log = logging.getLogger("aifhub.compute.tasks")
ACTIVE = (JobStatus.PENDING.value, JobStatus.RUNNING.value)


async def sync_login_mappings(
    maker: async_sessionmaker[AsyncSession], infra: Infrastructure
) -> None:
    """Apply the clusters' login mapping files (app or worker start, after resources' sync)."""
    async with maker() as session:
        await sync_mapping_files(session)
        await session.commit()


async def deliver(ctx: TaskContext) -> int:
    """Reconcile interrupted deliveries, then hand queued jobs to their clusters."""
    maker, infra = ctx.maker, ctx.infra
    config = compute_config(infra.site)
    done = await reconcile_submitting(maker, infra.backends, config)
    job_inputs = job_inputs_in(ctx.provides)
    return done + await deliver_queued(maker, infra, config, job_inputs)


async def poll_states(ctx: TaskContext) -> int:
    """Refresh pending/running jobs: one batched backend call per cluster per round."""
    maker, infra = ctx.maker, ctx.infra
    config = compute_config(infra.site)
    changed = 0
    async with maker() as session:
        jobs = list(
            await session.scalars(
                select(Job)
                .where(Job.state.in_(ACTIVE), Job.backend_id.is_not(None))
                .order_by(Job.id)
                .limit(config.poll_batch)
            )
        )
        by_cluster: dict[int, list[Job]] = defaultdict(list)
        for job in jobs:
            by_cluster[job.cluster_id].append(job)
        for cluster_id, group in by_cluster.items():
            cluster = await session.get(Cluster, cluster_id)
            assert cluster is not None
            try:
                states = await backend_for(infra.backends, cluster).poll(
                    [str(j.backend_id) for j in group]
                )
            except BackendError as exc:
                log.warning("polling %s failed: %s", cluster.name, exc)
                continue
            for job in group:
                seen = states.get(str(job.backend_id))
                if seen is None or seen.state == JobState.UNKNOWN or job.is_terminal:
                    continue
                new = (seen.state.value, seen.reason, seen.exit_code, seen.started_at)
                if new == (job.state, job.reason, job.exit_code, job.started_at):
                    continue
                if seen.state.value != job.state:
                    await audit.record(
                        session, "job.state", "job", job.id, old=job.state, new=seen.state.value
                    )
                job.state, job.reason, job.exit_code = seen.state.value, seen.reason, seen.exit_code
                job.started_at = seen.started_at or job.started_at
                job.ended_at = seen.ended_at or job.ended_at
                if seen.elapsed_s is not None:
                    job.elapsed_s = seen.elapsed_s
                changed += 1
        await session.commit()
    return changed


async def ingest_accounting(ctx: TaskContext) -> int:
    """Read each cluster's accounting since its cursor and charge what ended."""
    maker, infra = ctx.maker, ctx.infra
    config = compute_config(infra.site)
    charged = 0
    async with maker() as session:
        clusters = await resources.enabled_clusters(session)
    for cluster in clusters:
        async with maker() as session:
            cursor = await _cursor(session, cluster)
            try:
                records = await backend_for(infra.backends, cluster).accounting(cursor.since)
            except BackendError as exc:
                log.warning("accounting of %s failed: %s", cluster.name, exc)
                continue
            result = await ingest_records(session, cluster, records)
            if result.latest_end is not None:
                cursor.since = max(
                    cursor.since, result.latest_end - timedelta(seconds=config.accounting_overlap_s)
                )
            cursor.records_seen += result.charged
            cursor.updated_at = utcnow()
            await session.commit()
            charged += result.charged
    return charged


async def _cursor(session: AsyncSession, cluster: Cluster) -> AccountingCursor:
    query = select(AccountingCursor).where(AccountingCursor.cluster_id == cluster.id)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()  # one worker ingests a cluster at a time
    cursor = await session.scalar(query)
    if cursor is None:
        first = await session.scalar(
            select(Job.created_at).where(Job.cluster_id == cluster.id).order_by(Job.id).limit(1)
        )
        since = (first or utcnow()) - timedelta(days=1)
        cursor = AccountingCursor(cluster_id=cluster.id, since=since)
        session.add(cursor)
        await session.flush()
    return cursor


async def send_cancels(ctx: TaskContext) -> int:
    """Cancel on the backend what users asked to cancel (queued jobs never reach it)."""
    maker, backends = ctx.maker, ctx.infra.backends
    done = 0
    async with maker() as session:
        jobs = list(
            await session.scalars(
                select(Job).where(
                    Job.cancel_requested,
                    Job.cancel_sent_at.is_(None),
                    Job.state.in_((JobStatus.QUEUED.value, *ACTIVE)),
                )
            )
        )
        for job in jobs:
            if job.state == JobStatus.QUEUED.value:
                await release_unrun(
                    session, job, state=JobStatus.CANCELLED.value, reason="cancelled by the user"
                )
            else:
                cluster = await session.get(Cluster, job.cluster_id)
                assert cluster is not None
                try:
                    await backend_for(backends, cluster).cancel(str(job.backend_id))
                except BackendError as exc:
                    log.warning("cancel of job %s failed: %s", job.id, exc)
                    continue
            job.cancel_sent_at = utcnow()
            done += 1
        await session.commit()
    return done


async def check_slurm_clusters(ctx: TaskContext) -> int:
    """Check the Slurm clusters (daemons, drift of the site file): one WARNING per problem.

    Returns 0 whatever it found, so the worker waits the full interval before the next check.
    """
    async with ctx.maker() as session:
        targets = await check_targets(session)
    for report in await check_clusters(targets, ctx.infra.backends):
        for daemon in report.daemons:
            if not daemon.up:
                log.warning("cluster %s: %s is %s", report.cluster, daemon.daemon, daemon.text)
        for finding in report.findings:
            log.warning("cluster %s: %s: %s", report.cluster, finding.severity, finding.message)
    return 0
