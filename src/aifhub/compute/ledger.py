"""The usage ledger: the one place reserved and used hours are derived from."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.compute.models import LedgerEntry, LedgerKind

ZERO = Decimal("0")


async def usage_by_allocation(
    session: AsyncSession, allocation_ids: Iterable[int]
) -> dict[int, tuple[Decimal, Decimal]]:
    """(reserved, used) normalised hours per allocation, in one query."""
    ids = list(allocation_ids)
    if not ids:
        return {}
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
    rows = await session.execute(
        select(LedgerEntry.allocation_id, func.sum(signed_reserve), func.sum(used))
        .where(LedgerEntry.allocation_id.in_(ids))
        .group_by(LedgerEntry.allocation_id)
    )
    out = {i: (ZERO, ZERO) for i in ids}
    for alloc_id, reserved, used_sum in rows.all():
        out[alloc_id] = (Decimal(reserved or 0), Decimal(used_sum or 0))
    return out
