"""Support background work: warn the desk once when a ticket misses an SLA target."""

from __future__ import annotations

from sqlalchemy import and_, or_, select

from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.modules import TaskContext
from aifhub.schemas.enums.support import OPEN_STATES
from aifhub.support import notifications
from aifhub.support.models import Ticket

BATCH = 200


async def warn_sla_breaches(ctx: TaskContext) -> int:
    """Queue one breach warning per ticket and target (mail keys make it fire once)."""
    now = utcnow()
    async with ctx.maker() as session:
        rows = await session.scalars(
            select(Ticket)
            .where(
                Ticket.state.in_(OPEN_STATES),
                or_(
                    and_(Ticket.first_response_at.is_(None), Ticket.first_response_due < now),
                    and_(Ticket.resolved_at.is_(None), Ticket.resolution_due < now),
                ),
            )
            .order_by(Ticket.id)
            .limit(BATCH)
        )
        warned = 0
        for ticket in rows.all():
            for what, due, done in (
                ("first_response", ticket.first_response_due, ticket.first_response_at),
                ("resolution", ticket.resolution_due, ticket.resolved_at),
            ):
                if done is None and due < now:
                    key = f"ticket.sla_breach.{what}"
                    seen = await session.scalar(
                        select(audit.AuditEvent.id).where(
                            audit.AuditEvent.action == key,
                            audit.AuditEvent.object_id == str(ticket.id),
                        )
                    )
                    if seen:
                        continue
                    await notifications.sla_breached(session, ticket, what)
                    await audit.record(session, key, "ticket", ticket.id, due=due)
                    warned += 1
        await session.commit()
        return warned
