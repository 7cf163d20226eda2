"""Allocations: created on acceptance, moved by date, listed with their balances."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access import notifications, workflow
from aifhub.access.deadlines import add_months
from aifhub.access.ledger import Balance, balances, get_balance
from aifhub.access.models import Allocation, Application, ApplicationItem
from aifhub.access.modes import ModeSpec
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, NotFound, PermissionDenied
from aifhub.identity import visible_projects
from aifhub.identity.models import Project, User
from aifhub.resources import Partition
from aifhub.schemas.enums.access import AllocationState
from aifhub.schemas.enums.identity import StaffRole

A = AllocationState


def _period(start: datetime, months: int) -> tuple[datetime, datetime]:
    end_day = add_months(start.date(), months)
    return start, datetime.combine(end_day, start.timetz())


def _state_at(starts_at: datetime, ends_at: datetime, now: datetime) -> str:
    if now >= ends_at:
        return A.EXPIRED.value
    return A.ACTIVE.value if now >= starts_at else A.SCHEDULED.value


async def allocate_application(
    session: AsyncSession, app: Application, *, spec: ModeSpec
) -> list[Allocation]:
    """Turn an accepted application into allocations (a top-up raises its allocation instead)."""
    items = list(
        await session.scalars(
            select(ApplicationItem).where(ApplicationItem.application_id == app.id)
        )
    )
    now = utcnow()
    made: list[Allocation] = []
    if app.kind == "top_up":
        target = await session.get(Allocation, app.allocation_id)
        if target is None:
            raise NotFound(f"Allocation {app.allocation_id} of this top-up no longer exists.")
        added = sum((i.granted or i.requested for i in items), Decimal(0))
        target.amount += added
        await audit.record(
            session, "allocation.top_up", "allocation", target.id, added=added, application=app.id
        )
        made.append(target)
    else:
        start = datetime.combine(now.date(), time(0, tzinfo=UTC))
        if app.kind == "renewal" and app.allocation_id:
            old = await session.get(Allocation, app.allocation_id)
            if old is not None and old.ends_at > start:
                start = old.ends_at  # the renewal follows on without overlap
        starts_at, ends_at = _period(start, app.duration_months)
        for item in items:
            alloc = Allocation(
                project_id=app.project_id,
                partition_id=item.partition_id,
                amount=item.granted or item.requested,
                starts_at=starts_at,
                ends_at=ends_at,
                state=_state_at(starts_at, ends_at, now),
                application_id=app.id,
                fallback_partition_ids=list(app.fallback_partition_ids),
            )
            session.add(alloc)
            made.append(alloc)
        await session.flush()
        for alloc in made:
            await audit.record(
                session,
                "allocation.create",
                "allocation",
                alloc.id,
                amount=alloc.amount,
                application=app.id,
            )
    await workflow.move(app, "allocate", session=session)
    app.allocated_at = now
    project = await session.get(Project, app.project_id)
    assert project is not None
    for alloc in made:
        if alloc.state == A.ACTIVE:
            await notifications.allocation_starting(session, alloc=alloc, project=project)
    return made


def visible_allocations(actor: User) -> Select[Any]:
    """Allocations of the projects the actor may see."""
    visible = visible_projects(actor).with_only_columns(Project.id)
    return select(Allocation).where(Allocation.project_id.in_(visible))


async def list_allocations(
    session: AsyncSession,
    actor: User,
    *,
    limit: int,
    offset: int,
    project: str | None = None,
    state: str | None = None,
) -> tuple[list[tuple[Allocation, str, Partition, Balance]], int]:
    """Visible allocations with project slug, partition and balance (four queries, any size)."""
    query = visible_allocations(actor)
    if project:
        query = query.where(
            Allocation.project_id
            == select(Project.id).where(Project.slug == project).scalar_subquery()
        )
    if state:
        query = query.where(Allocation.state == state)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = (
        await session.execute(
            query.join(Project, Project.id == Allocation.project_id)
            .join(Partition, Partition.id == Allocation.partition_id)
            .add_columns(Project.slug, Partition)
            .order_by(Allocation.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    bal = await balances(session, [a.id for a, _, _ in rows])
    return [(a, slug, p, bal[a.id]) for a, slug, p in rows], int(total or 0)


async def get_allocation(
    session: AsyncSession, actor: User, allocation_id: int
) -> tuple[Allocation, str, Partition, Balance]:
    """One visible allocation with its balance (404 otherwise)."""
    row = (
        await session.execute(
            visible_allocations(actor)
            .where(Allocation.id == allocation_id)
            .join(Project, Project.id == Allocation.project_id)
            .join(Partition, Partition.id == Allocation.partition_id)
            .add_columns(Project.slug, Partition)
        )
    ).first()
    if row is None:
        raise NotFound(f"No allocation {allocation_id} that you can see.")
    alloc, slug, part = row
    return alloc, slug, part, await get_balance(session, alloc.id)


async def set_suspended(
    session: AsyncSession, actor: User, allocation_id: int, *, suspend: bool, reason: str
) -> Allocation:
    """Suspend an allocation, or resume it into the state its dates give (staff admins)."""
    if not actor.has_role(StaffRole.ADMIN):
        raise PermissionDenied("Only staff admins suspend or resume allocations.")
    alloc = await session.get(Allocation, allocation_id)
    if alloc is None:
        raise NotFound(f"No allocation {allocation_id}.")
    if suspend == (alloc.state == A.SUSPENDED):
        raise Conflict(
            f"Allocation {allocation_id} is already {'suspended' if suspend else 'not suspended'}."
        )
    before = alloc.state
    alloc.state = (
        A.SUSPENDED.value if suspend else _state_at(alloc.starts_at, alloc.ends_at, utcnow())
    )
    await audit.record(
        session,
        "allocation.suspend" if suspend else "allocation.resume",
        "allocation",
        alloc.id,
        before=before,
        after=alloc.state,
        reason=reason,
    )
    return alloc


async def move_by_date(session: AsyncSession, *, now: datetime | None = None) -> list[Allocation]:
    """Activate allocations whose period began and expire those whose period ended."""
    now = now or utcnow()
    due = list(
        await session.scalars(
            select(Allocation).where(
                or_(
                    and_(Allocation.state == A.SCHEDULED.value, Allocation.starts_at <= now),
                    and_(
                        Allocation.state.in_([A.SCHEDULED.value, A.ACTIVE.value]),
                        Allocation.ends_at <= now,
                    ),
                )
            )
        )
    )
    projects = (
        {
            p.id: p
            for p in await session.scalars(
                select(Project).where(Project.id.in_({a.project_id for a in due}))
            )
        }
        if due
        else {}
    )
    for alloc in due:
        before, alloc.state = alloc.state, _state_at(alloc.starts_at, alloc.ends_at, now)
        await audit.record(
            session,
            f"allocation.{alloc.state}",
            "allocation",
            alloc.id,
            before=before,
            after=alloc.state,
        )
        if alloc.state == A.ACTIVE:
            await notifications.allocation_starting(
                session, alloc=alloc, project=projects[alloc.project_id]
            )
    return due


EXPIRY_NOTICES = (30, 7, 0)
USAGE_NOTICES = (80, 100)


OVERRUN_LOOKBACK = timedelta(days=30)  # a job ending after its allocation is charged to it


async def notify_thresholds(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Queue expiry (30/7/0 days), usage (80%/100%) and overrun notices; each fires once per
    allocation (the mail outbox's unique key: a worker killed before its commit queues nothing,
    and the next round queues it once)."""
    now = now or utcnow()
    # Active allocations, and those that ended lately or are suspended: a late charge can
    # still push them into overrun.
    watched = list(
        await session.scalars(
            select(Allocation).where(
                or_(
                    Allocation.state.in_([A.ACTIVE.value, A.SUSPENDED.value]),
                    and_(
                        Allocation.state == A.EXPIRED.value,
                        Allocation.ends_at >= now - OVERRUN_LOOKBACK,
                    ),
                )
            )
        )
    )
    if not watched:
        return 0
    projects = {
        p.id: p
        for p in await session.scalars(
            select(Project).where(Project.id.in_({a.project_id for a in watched}))
        )
    }
    parts = {
        p.id: p
        for p in await session.scalars(
            select(Partition).where(Partition.id.in_({a.partition_id for a in watched}))
        )
    }
    bal = await balances(session, [a.id for a in watched])
    queued = 0
    for alloc in watched:
        project, part, b = projects[alloc.project_id], parts[alloc.partition_id], bal[alloc.id]
        if b.overrun > 0:
            queued += await notifications.overrun(
                session, alloc=alloc, project=project, partition=part, balance=b
            )
        if alloc.state != A.ACTIVE.value:
            continue
        days_left = (alloc.ends_at - now) / timedelta(days=1)
        notice = next(
            (
                d
                for d in sorted(EXPIRY_NOTICES)
                if days_left <= d + 1e-9 or (d == 0 and days_left < 1)
            ),
            None,
        )
        if notice is not None:
            queued += await notifications.expiry(
                session, alloc=alloc, project=project, partition=part, days=notice
            )
        if b.granted > 0:
            pct = (b.used * 100) / b.granted
            level = max((p for p in USAGE_NOTICES if pct >= p), default=None)
            if level is not None:
                queued += await notifications.usage(
                    session, alloc=alloc, project=project, partition=part, percent=level, balance=b
                )
    return queued


async def allocations_on_cluster(
    session: AsyncSession, cluster_id: int
) -> list[tuple[Allocation, Partition, str]]:
    """Every allocation on a cluster's partitions, with its partition and project slug."""
    rows = await session.execute(
        select(Allocation, Partition, Project.slug)
        .join(Partition, Partition.id == Allocation.partition_id)
        .join(Project, Project.id == Allocation.project_id)
        .where(Partition.cluster_id == cluster_id)
    )
    return [(a, p, slug) for a, p, slug in rows.all()]
