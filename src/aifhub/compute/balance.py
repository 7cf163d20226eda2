"""Allocations as compute sees them: the active one for a job, and what is left of it.

The access domain owns allocations; these two queries are what submission needs and read
only the `allocations` table and the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.models import Allocation, AllocationState
from aifhub.compute.ledger import usage_by_allocation

HOUR_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class Balance:
    """Hours of one allocation: granted, reserved by running jobs, used, and remaining."""

    allocation_id: int
    granted: Decimal
    reserved: Decimal
    used: Decimal

    @property
    def remaining(self) -> Decimal:
        """What can still be reserved."""
        return self.granted - self.reserved - self.used


def is_current(allocation: Allocation, at: datetime) -> bool:
    """True when the allocation is active and `at` falls within its period."""
    return (
        allocation.state == AllocationState.ACTIVE.value
        and allocation.starts_at <= at < allocation.ends_at
    )


async def allocations_of(
    session: AsyncSession, *, project_id: int, partition_id: int
) -> list[Allocation]:
    """Every allocation of a project on a partition, newest period first."""
    rows = await session.scalars(
        select(Allocation)
        .where(Allocation.project_id == project_id, Allocation.partition_id == partition_id)
        .order_by(Allocation.ends_at.desc())
    )
    return list(rows)


async def balance_of(session: AsyncSession, allocation: Allocation) -> Balance:
    """The allocation's balance, derived from the ledger."""
    reserved, used = (await usage_by_allocation(session, [allocation.id]))[allocation.id]
    return Balance(allocation.id, Decimal(allocation.amount), reserved, used)


def hours(seconds: int, units: int, factor: Decimal) -> Decimal:
    """Normalised hours of `units` GPUs (or cores) held `seconds`, rounded to 0.0001 h."""
    return (Decimal(seconds) * units * factor / 3600).quantize(HOUR_QUANTUM)
