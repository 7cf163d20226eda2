"""The access domain's gauges: hours granted, used and reserved on the current allocations."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.ledger import ledger_terms
from aifhub.access.models import Allocation, LedgerEntry
from aifhub.core.db import utcnow
from aifhub.core.metrics import GaugeSamples
from aifhub.resources import Partition
from aifhub.schemas.enums.access import AllocationState


async def allocation_gauges(session: AsyncSession) -> Sequence[GaugeSamples]:
    """Normalised hours of the allocations in force, per partition: granted, used, reserved."""
    now = utcnow()
    current = (
        select(Allocation.id, Allocation.amount, Allocation.partition_id)
        .where(
            Allocation.state == AllocationState.ACTIVE.value,
            Allocation.starts_at <= now,
            Allocation.ends_at > now,
        )
        .subquery()
    )
    granted = await session.execute(
        select(Partition.key, func.sum(current.c.amount))
        .join(current, current.c.partition_id == Partition.id)
        .group_by(Partition.key)
    )
    signed_reserve, used = ledger_terms()
    moving = await session.execute(
        select(Partition.key, func.sum(used), func.sum(signed_reserve))
        .select_from(LedgerEntry)
        .join(current, current.c.id == LedgerEntry.allocation_id)
        .join(Partition, Partition.id == current.c.partition_id)
        .group_by(Partition.key)
    )
    values: list[tuple[tuple[str, ...], float]] = []
    for key, amount in granted.all():
        values.append(((key, "granted"), float(amount or 0)))
    for key, used_sum, reserved in moving.all():
        values.append(((key, "used"), float(used_sum or 0)))
        values.append(((key, "reserved"), float(reserved or 0)))
    return [
        GaugeSamples(
            "aifhub_allocation_hours",
            "Normalised hours of the allocations in force, by partition and kind",
            ("partition", "kind"),
            values,
        )
    ]
