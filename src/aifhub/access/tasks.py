"""Background work of the access domain: allocation states and notices."""

from __future__ import annotations

from aifhub.access.allocations import move_by_date, notify_thresholds
from aifhub.core import context
from aifhub.core.modules import TaskContext


async def allocation_states(ctx: TaskContext) -> int:
    """Activate and expire allocations by date (their PIs are told when one starts)."""
    context.begin(None, actor_label="worker")
    async with ctx.maker() as session:
        moved = await move_by_date(session)
        await session.commit()
    return len(moved)


async def allocation_notices(ctx: TaskContext) -> int:
    """Queue expiry (30/7/0 days) and usage (80/100%) notices, each once per allocation."""
    context.begin(None, actor_label="worker")
    async with ctx.maker() as session:
        queued = await notify_thresholds(session)
        await session.commit()
    return queued
