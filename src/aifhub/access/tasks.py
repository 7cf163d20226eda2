"""Background work of the access domain, and the delivery of the shared mail outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aifhub.access.allocations import move_by_date, notify_thresholds
from aifhub.core import context
from aifhub.core.config import Settings
from aifhub.core.mail import deliver_mail
from aifhub.worker import Periodic


async def allocation_states(maker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Activate and expire allocations by date (their PIs are told when one starts)."""
    context.begin(None, actor_label="worker")
    async with maker() as session:
        moved = await move_by_date(session)
        await session.commit()
    return len(moved)


async def allocation_notices(maker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Queue expiry (30/7/0 days) and usage (80/100%) notices, each once per allocation."""
    context.begin(None, actor_label="worker")
    async with maker() as session:
        queued = await notify_thresholds(session)
        await session.commit()
    return queued


# The mail outbox is shared by every domain; it is drained here because every installation
# has the access domain (one task, whoever queued the mail).
PERIODIC = [
    Periodic("mail.deliver", 30.0, deliver_mail),
    Periodic("access.allocation_states", 300.0, allocation_states),
    Periodic("access.allocation_notices", 3600.0, allocation_notices),
]
