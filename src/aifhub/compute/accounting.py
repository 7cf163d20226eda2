"""The scheduler's accounting into the ledger: each finished job charged exactly once.

A record is charged under `job_key = "<cluster>:<backend id>"` (unique per kind in the
ledger), so reading the same records twice, or a platform job and the same job seen as a
"direct" one, never charges twice. A platform job's reservation is released under
`"job:<id>"` in the same transaction as its charge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import access
from aifhub.access import Allocation, LedgerKind, Movement
from aifhub.backends.base import AccountingRecord
from aifhub.compute.models import ClusterLogin, Job
from aifhub.core.db import utcnow
from aifhub.resources import Cluster, Partition
from aifhub.schemas.enums.compute import LoginStatus

COMMENT = re.compile(r"^aifhub:(\d+)$")
CHUNK = 500


@dataclass
class IngestResult:
    """What one pass over accounting records did."""

    charged: int = 0
    platform_jobs: int = 0
    already: int = 0
    unmatched: int = 0
    hours: Decimal = Decimal(0)
    allocations: set[int] = field(default_factory=set)
    latest_end: datetime | None = None


def charge_of(partition: Partition, record: AccountingRecord) -> Decimal:
    """Normalised hours of a finished record: elapsed x GPUs (or cores) x factor."""
    units = record.alloc_gpus if partition.unit == "gpu_hours" else record.alloc_cpus
    factor = Decimal(partition.charge_factor) if partition.charged else Decimal(0)
    return access.hours(max(record.elapsed_s, 0), units, factor)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


async def _platform_jobs(
    session: AsyncSession, cluster: Cluster, records: list[AccountingRecord]
) -> dict[str, Job]:
    """Platform jobs of these records, by backend id (matched by comment, else by id)."""
    by_comment = {}
    for r in records:
        m = COMMENT.match(r.comment or "")
        if m:
            by_comment[int(m.group(1))] = r.backend_id
    out: dict[str, Job] = {}
    for part in _chunks(list(by_comment)):
        for job in await session.scalars(select(Job).where(Job.id.in_(part))):
            # The same comment on another backend id is another platform's (or an older
            # database's) job: the backend id, once known, decides.
            bid = by_comment[job.id]
            if job.cluster_id == cluster.id and job.backend_id in (None, bid):
                out[bid] = job
    rest = [r.backend_id for r in records if r.backend_id not in out]
    for part in _chunks(rest):
        for job in await session.scalars(
            select(Job).where(Job.cluster_id == cluster.id, Job.backend_id.in_(part))
        ):
            out[str(job.backend_id)] = job
    return out


async def _direct_targets(
    session: AsyncSession, cluster: Cluster
) -> tuple[dict[str, Partition], dict[tuple[str, int], list[Allocation]], dict[str, int]]:
    """Partitions by name, allocations by (account, partition), users by login."""
    parts = {
        p.name: p
        for p in await session.scalars(select(Partition).where(Partition.cluster_id == cluster.id))
    }
    allocs = await access.allocations_by_account(
        session,
        partition_ids=[p.id for p in parts.values()],
        account_format=str((cluster.settings or {}).get("account_format", "{project}")),
    )
    logins = dict(
        (
            await session.execute(
                select(ClusterLogin.login, ClusterLogin.user_id).where(
                    ClusterLogin.cluster_id == cluster.id,
                    # A claimed, rejected or revoked login proves nothing about who ran a job.
                    ClusterLogin.status == LoginStatus.APPROVED.value,
                )
            )
        ).all()
    )
    return parts, allocs, logins


def _allocation_at(candidates: list[Allocation], at: datetime) -> Allocation | None:
    """Who pays a direct job: the ledger's rule, else (ended outside every period) the latest."""
    paying = access.pays_first(candidates, at)
    return paying or max(candidates, key=lambda a: (a.ends_at, a.id), default=None)


async def ingest_records(
    session: AsyncSession, cluster: Cluster, records: Sequence[AccountingRecord]
) -> IngestResult:
    """Charge every finished record not charged yet; settle platform jobs. Never commits."""
    result = IngestResult()
    finished: dict[str, AccountingRecord] = {}
    for r in records:
        if r.state.is_terminal and r.ended_at is not None:
            finished[f"{cluster.name}:{r.backend_id}"] = r
            if result.latest_end is None or r.ended_at > result.latest_end:
                result.latest_end = r.ended_at
    if not finished:
        return result
    existing = await access.charged_job_keys(session, list(finished))
    result.already = len(existing)
    todo = {k: r for k, r in finished.items() if k not in existing}
    if not todo:
        return result
    jobs = await _platform_jobs(session, cluster, list(todo.values()))
    parts, allocs, logins = await _direct_targets(session, cluster)
    parts_by_id = {p.id: p for p in parts.values()}
    rows: list[Movement] = []
    now = utcnow()
    for key, r in todo.items():
        job = jobs.get(r.backend_id)
        if job is not None:
            partition = parts_by_id[job.partition_id]
            amount = charge_of(partition, r)
            rows.append(_row(job.allocation_id, LedgerKind.CHARGE, amount, key, r, job.user_id))
            if job.settled_at is None:
                rows.append(
                    _row(
                        job.allocation_id,
                        LedgerKind.RELEASE,
                        job.reserved_hours,
                        f"job:{job.id}",
                        r,
                        job.user_id,
                    )
                )
            _settle_job(job, r, amount, now)
            result.platform_jobs += 1
            alloc_id = job.allocation_id
        else:
            foreign_part = parts.get(r.partition or "")
            alloc = None
            if foreign_part is not None and r.account:
                alloc = _allocation_at(allocs.get((r.account, foreign_part.id), []), r.ended_at)  # type: ignore[arg-type]
            if foreign_part is None or alloc is None:
                result.unmatched += 1
                continue
            amount = charge_of(foreign_part, r)
            rows.append(_row(alloc.id, LedgerKind.CHARGE, amount, key, r, logins.get(r.user or "")))
            alloc_id = alloc.id
        result.charged += 1
        result.hours += amount
        result.allocations.add(alloc_id)
    await access.record_movements(session, rows)
    return result


def _row(
    allocation_id: int,
    kind: LedgerKind,
    amount: Decimal,
    key: str,
    r: AccountingRecord,
    user_id: int | None,
) -> Movement:
    return Movement(
        allocation_id=allocation_id,
        kind=kind,
        amount=amount,
        job_key=key,
        at=r.ended_at,
        note=(
            f"{r.state.value} elapsed={r.elapsed_s}s gpus={r.alloc_gpus} cpus={r.alloc_cpus}"
            f" account={r.account} partition={r.partition}"
        ),
        user_id=user_id,
        login=r.user or None,
    )


def _settle_job(job: Job, r: AccountingRecord, amount: Decimal, now: datetime) -> None:
    job.charged_hours, job.settled_at, job.elapsed_s = amount, now, r.elapsed_s
    if not job.is_terminal:  # settled before a poll saw it end: accounting has the outcome
        job.state = r.state.value
        job.exit_code = r.exit_code if job.exit_code is None else job.exit_code
    job.started_at = job.started_at or r.started_at
    job.ended_at = job.ended_at or r.ended_at
