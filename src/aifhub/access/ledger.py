"""The usage ledger and the balance: the one owner of reserved, used and remaining hours.

Every movement of hours is a ledger row (reserve, release, charge, adjust); a balance is
always derived from them: remaining = granted - used - reserved. Compute reserves, releases
and charges through these functions and never reads the ledger or allocation tables itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, case, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.errors import NoActiveAllocation
from aifhub.access.models import Allocation, LedgerEntry, LedgerKind
from aifhub.core.db import utcnow
from aifhub.core.errors import NotFound
from aifhub.identity.models import Project
from aifhub.resources import Partition
from aifhub.schemas.enums.access import AllocationState

ZERO = Decimal("0")
HOUR_QUANTUM = Decimal("0.0001")
CHUNK = 500


@dataclass(frozen=True)
class Balance:
    """Hours of an allocation: remaining = granted - used - reserved (never stored)."""

    granted: Decimal
    reserved: Decimal
    used: Decimal
    remaining: Decimal

    @classmethod
    def of(cls, granted: Decimal, reserved: Decimal, used: Decimal) -> Balance:
        """The balance of these sums (remaining derived here, the one place)."""
        g = Decimal(granted)
        return cls(granted=g, reserved=reserved, used=used, remaining=g - used - reserved)

    @property
    def overrun(self) -> Decimal:
        """Settled hours used beyond the granted amount (0 when within it): see overrun_of."""
        return overrun_of(self.used, self.granted)


# ---- Overruns (read side). Slurm kills a job up to ~30 s after its time limit and the charge
# is recorded in full, never capped: an allocation's settled use can pass its grant, a job's
# charge its reservation. This is the one definition every page, export and notice reads.


def overrun_of(used: Decimal, limit: Decimal) -> Decimal:
    """Hours used beyond a limit (an allocation's granted hours, a job's reserved hours); 0
    when the use stays within it."""
    return max(Decimal(used) - Decimal(limit), ZERO).quantize(HOUR_QUANTUM)


# ---- end of overruns


def hours(seconds: int, units: int, factor: Decimal) -> Decimal:
    """Normalised hours of `units` GPUs (or cores) held `seconds`, rounded to 0.0001 h."""
    return (Decimal(seconds) * units * factor / 3600).quantize(HOUR_QUANTUM)


def pays_first(candidates: Iterable[Allocation], at: datetime) -> Allocation | None:
    """Which allocation pays for use at `at`: the one rule, for submissions and accounting.

    Of the allocations whose period covers `at`, the one that ends first pays (its hours
    expire first, so none are left to lapse while a later one is spent); the oldest breaks ties.
    """
    covering = [a for a in candidates if a.starts_at <= at < a.ends_at]
    return min(covering, key=lambda a: (a.ends_at, a.id)) if covering else None


def is_current(allocation: Allocation, at: datetime) -> bool:
    """True when the allocation is active and `at` falls within its period."""
    return (
        allocation.state == AllocationState.ACTIVE.value
        and allocation.starts_at <= at < allocation.ends_at
    )


def ledger_terms() -> tuple[ColumnElement[Decimal], ColumnElement[Decimal]]:
    """What one ledger entry adds to an allocation's reserved hours, and to its used hours:
    sum each over the entries to get the balance's two moving parts."""
    signed_reserve = case(
        (LedgerEntry.kind == LedgerKind.RESERVE.value, LedgerEntry.amount),
        (LedgerEntry.kind == LedgerKind.RELEASE.value, -LedgerEntry.amount),
        else_=0,
    )
    used = case(
        (
            LedgerEntry.kind.in_([LedgerKind.CHARGE.value, LedgerKind.ADJUST.value]),
            LedgerEntry.amount,
        ),
        else_=0,
    )
    return signed_reserve, used


async def usage_by_allocation(
    session: AsyncSession, allocation_ids: Iterable[int]
) -> dict[int, tuple[Decimal, Decimal]]:
    """(reserved, used) normalised hours per allocation, in one query."""
    ids = list(allocation_ids)
    if not ids:
        return {}
    signed_reserve, used = ledger_terms()
    rows = await session.execute(
        select(LedgerEntry.allocation_id, func.sum(signed_reserve), func.sum(used))
        .where(LedgerEntry.allocation_id.in_(ids))
        .group_by(LedgerEntry.allocation_id)
    )
    out = {i: (ZERO, ZERO) for i in ids}
    for alloc_id, reserved, used_sum in rows.all():
        out[alloc_id] = (Decimal(reserved or 0), Decimal(used_sum or 0))
    return out


async def balances(session: AsyncSession, allocation_ids: Iterable[int]) -> dict[int, Balance]:
    """Balances of many allocations in two queries (granted, then the ledger's reserved/used)."""
    ids = list(dict.fromkeys(allocation_ids))
    if not ids:
        return {}
    granted = dict(
        (
            await session.execute(
                select(Allocation.id, Allocation.amount).where(Allocation.id.in_(ids))
            )
        ).all()
    )
    usage = await usage_by_allocation(session, granted)
    out = {}
    for alloc_id, amount in granted.items():
        reserved, used = usage[alloc_id]
        out[alloc_id] = Balance.of(Decimal(amount), reserved, used)
    return out


async def get_balance(session: AsyncSession, allocation_id: int) -> Balance:
    """The balance of one allocation (404 when it does not exist)."""
    found = await balances(session, [allocation_id])
    if allocation_id not in found:
        raise NotFound(f"No allocation {allocation_id}.")
    return found[allocation_id]


async def find_active_allocation(
    session: AsyncSession, *, project_id: int, partition_id: int, at: datetime | None = None
) -> Allocation | None:
    """The project's active allocation that pays on the partition at `at` (now), by pays_first."""
    active = await session.scalars(
        select(Allocation).where(
            Allocation.project_id == project_id,
            Allocation.partition_id == partition_id,
            Allocation.state == AllocationState.ACTIVE.value,
        )
    )
    return pays_first(active, at or utcnow())


async def paying_allocations(
    session: AsyncSession, *, project_id: int, at: datetime | None = None
) -> dict[int, tuple[Allocation, Balance]]:
    """Where a project can submit now: partition id -> (the allocation that pays there, by
    pays_first, and its balance). A partition without an active allocation is absent."""
    active = list(
        await session.scalars(
            select(Allocation).where(
                Allocation.project_id == project_id,
                Allocation.state == AllocationState.ACTIVE.value,
            )
        )
    )
    when = at or utcnow()
    paying = {}
    for partition_id in {a.partition_id for a in active}:
        alloc = pays_first([a for a in active if a.partition_id == partition_id], when)
        if alloc is not None:
            paying[partition_id] = alloc
    found = await balances(session, [a.id for a in paying.values()])
    return {pid: (a, found[a.id]) for pid, a in paying.items()}


async def current_allocation(
    session: AsyncSession,
    *,
    project: Project,
    partition_id: int,
    partition_key: str,
    lock: bool = False,
) -> Allocation:
    """The allocation that pays for a submission now (row-locked if asked).

    Raises NoActiveAllocation, saying what the project has instead, when none is active.
    """  # fmt: skip
    allocation = await find_active_allocation(
        session, project_id=project.id, partition_id=partition_id
    )
    if allocation is None:
        last = await session.scalar(
            select(Allocation)
            .where(Allocation.project_id == project.id, Allocation.partition_id == partition_id)
            .order_by(Allocation.ends_at.desc(), Allocation.id.desc())
            .limit(1)
        )
        if last is None:
            raise NoActiveAllocation(
                f"Project '{project.slug}' has no allocation on '{partition_key}'; apply for "
                "access to get one."
            )
        raise NoActiveAllocation(
            f"Project '{project.slug}' has no active allocation on '{partition_key}': the latest "
            f"is {last.state}, from {last.starts_at:%Y-%m-%d} to {last.ends_at:%Y-%m-%d}."
        )
    if lock and session.bind is not None and session.bind.dialect.name == "postgresql":
        # Serialise reservations on one allocation, so two jobs never share the last hours.
        await session.execute(
            select(Allocation.id).where(Allocation.id == allocation.id).with_for_update()
        )
    return allocation


def _entry(kind: LedgerKind, allocation_id: int, amount: Decimal, job_key: str,
           user_id: int | None, note: str) -> LedgerEntry:  # fmt: skip
    return LedgerEntry(
        allocation_id=allocation_id, kind=kind.value, amount=amount, job_key=job_key,
        user_id=user_id, note=note,
    )  # fmt: skip


def reserve(session: AsyncSession, *, allocation_id: int, amount: Decimal, job_key: str,
            user_id: int | None, note: str) -> None:  # fmt: skip
    """Hold `amount` hours of an allocation for a job (one reserve per job key)."""
    session.add(_entry(LedgerKind.RESERVE, allocation_id, amount, job_key, user_id, note))


def release(session: AsyncSession, *, allocation_id: int, amount: Decimal, job_key: str,
            user_id: int | None, note: str) -> None:  # fmt: skip
    """Lift a job's hold (one release per job key)."""
    session.add(_entry(LedgerKind.RELEASE, allocation_id, amount, job_key, user_id, note))


@dataclass(frozen=True)
class Movement:
    """One ledger row to write in bulk (accounting: charges and their releases)."""

    allocation_id: int
    kind: LedgerKind
    amount: Decimal
    job_key: str
    at: datetime | None
    note: str
    user_id: int | None = None
    login: str | None = None


async def record_movements(session: AsyncSession, movements: Sequence[Movement]) -> None:
    """Insert many movements in a few statements (the unique job key refuses a double)."""
    rows: list[dict[str, Any]] = [
        {
            "allocation_id": m.allocation_id, "kind": m.kind.value, "amount": m.amount,
            "job_key": m.job_key, "at": m.at, "note": m.note[:300], "user_id": m.user_id,
            "login": m.login and m.login[:64],
        }
        for m in movements
    ]  # fmt: skip
    for i in range(0, len(rows), CHUNK):
        await session.execute(insert(LedgerEntry), rows[i : i + CHUNK])


async def charged_job_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these job keys were charged already."""
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found.update(
            await session.scalars(
                select(LedgerEntry.job_key).where(
                    LedgerEntry.kind == LedgerKind.CHARGE.value,
                    LedgerEntry.job_key.in_(keys[i : i + CHUNK]),
                )
            )
        )
    return found


async def allocations_by_account(
    session: AsyncSession, *, partition_ids: Sequence[int], account_format: str
) -> dict[tuple[str, int], list[Allocation]]:
    """Allocations on these partitions keyed by (scheduler account, partition id)."""
    out: dict[tuple[str, int], list[Allocation]] = {}
    rows = await session.execute(
        select(Allocation, Project.slug)
        .join(Project, Project.id == Allocation.project_id)
        .where(Allocation.partition_id.in_(list(partition_ids)))
    )
    for alloc, slug in rows.all():
        out.setdefault((account_format.format(project=slug), alloc.partition_id), []).append(alloc)
    return out


async def allocation_rows_on_cluster(session: AsyncSession, cluster_id: int) -> list[Row[Any]]:
    """Every allocation on a cluster's partitions as plain rows, in one query: id, project_id,
    slug, state, starts_at, ends_at, amount, unit and charge_factor (its partition's), and
    used (its settled use: the ledger's charges and adjustments)."""
    _, used = ledger_terms()
    use = (
        select(LedgerEntry.allocation_id.label("allocation_id"), func.sum(used).label("used"))
        .join(Allocation, Allocation.id == LedgerEntry.allocation_id)
        .join(Partition, Partition.id == Allocation.partition_id)
        .where(Partition.cluster_id == cluster_id)
        .group_by(LedgerEntry.allocation_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            Allocation.id,
            Allocation.project_id,
            Project.slug,
            Allocation.state,
            Allocation.starts_at,
            Allocation.ends_at,
            Allocation.amount,
            Partition.unit,
            Partition.charge_factor,
            func.coalesce(use.c.used, 0).label("used"),
        )  # fmt: skip
        .join(Partition, Partition.id == Allocation.partition_id)
        .join(Project, Project.id == Allocation.project_id)
        .outerjoin(use, use.c.allocation_id == Allocation.id)
        .where(Partition.cluster_id == cluster_id)
    )
    return list(rows.all())
