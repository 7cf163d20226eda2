"""Usage reports of a project: balances, daily rows and CSV (the chart: usage_chart.py)."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.ledger import Balance, usage_by_allocation
from aifhub.access.models import Allocation, LedgerEntry, LedgerKind
from aifhub.core import csvsafe
from aifhub.identity import get_project
from aifhub.identity.models import User
from aifhub.resources import Partition
from aifhub.schemas.access import AllocationUsage, ProjectUsage, UsageRow


async def project_usage(session: AsyncSession, actor: User, slug: str) -> ProjectUsage:
    """Balances of each allocation of a visible project and its charges per user/partition/day."""
    project = await get_project(session, actor, slug)
    allocs = list(
        (
            await session.execute(
                select(Allocation, Partition)
                .join(Partition, Partition.id == Allocation.partition_id)
                .where(Allocation.project_id == project.id)
                .order_by(Allocation.starts_at, Allocation.id)
            )
        ).all()
    )
    sums = await usage_by_allocation(session, [a.id for a, _ in allocs])
    balances = []
    for alloc, part in allocs:
        b = Balance.of(Decimal(alloc.amount), *sums[alloc.id])
        balances.append(
            AllocationUsage(
                allocation_id=alloc.id,
                partition=part.key,
                unit=part.unit,
                starts_at=alloc.starts_at,
                ends_at=alloc.ends_at,
                state=alloc.state,
                granted=b.granted,
                reserved=b.reserved,
                used=b.used,
                remaining=b.remaining,
                overrun_hours=b.overrun,
            )
        )
    keys = {a.id: p.key for a, p in allocs}
    day = func.date(LedgerEntry.at)
    rows = await session.execute(
        select(
            LedgerEntry.allocation_id,
            day,
            User.email,
            LedgerEntry.login,
            func.sum(LedgerEntry.amount),
            func.count(),
        )
        .outerjoin(User, User.id == LedgerEntry.user_id)
        .where(
            LedgerEntry.allocation_id.in_(list(keys)),
            LedgerEntry.kind.in_([LedgerKind.CHARGE.value, LedgerKind.ADJUST.value]),
        )
        .group_by(LedgerEntry.allocation_id, day, User.email, LedgerEntry.login)
        .order_by(day, LedgerEntry.allocation_id)
    )
    merged: dict[tuple[int, str, str], list[Decimal | int]] = {}
    for alloc_id, d, email, login, total, count in rows.all():
        key = (alloc_id, str(d), email or (f"login:{login}" if login else "staff adjustment"))
        cell = merged.setdefault(key, [Decimal(0), 0])
        cell[0] = Decimal(cell[0]) + Decimal(total or 0)
        cell[1] = int(cell[1]) + int(count)
    usage_rows = [
        UsageRow(
            allocation_id=a,
            day=d,
            user=u,
            partition=keys[a],
            hours=Decimal(v[0]),
            jobs=int(v[1]),
        )
        for (a, d, u), v in merged.items()
    ]
    return ProjectUsage(project=project.slug, allocations=balances, rows=usage_rows)


def usage_csv(usage: ProjectUsage) -> str:
    """The daily rows as CSV (one line per allocation, day, user, partition); the last column
    is the row's allocation's overrun at export time (hours used beyond its grant, else 0)."""
    out = io.StringIO()
    writer = csvsafe.writer(out)
    overrun = {a.allocation_id: a.overrun_hours for a in usage.allocations}
    writer.writerow(
        ["day", "allocation_id", "partition", "user", "hours", "jobs", "allocation_overrun_hours"]
    )
    for r in usage.rows:
        writer.writerow(
            [r.day, r.allocation_id, r.partition, r.user, f"{r.hours}", r.jobs,
             f"{overrun[r.allocation_id]}"]
        )  # fmt: skip
    return out.getvalue()


def as_of(value: datetime) -> str:
    """A short UTC timestamp for pages."""
    return value.strftime("%Y-%m-%d %H:%M UTC")
