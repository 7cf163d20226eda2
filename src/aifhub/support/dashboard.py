"""The support desk's dashboard: a constant number of queries whatever the ticket count."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.db import utcnow
from aifhub.core.errors import PermissionDenied
from aifhub.identity.models import User
from aifhub.schemas.enums.support import OPEN_STATES
from aifhub.support.experts import list_experts
from aifhub.support.models import Ticket
from aifhub.support.sla import SlaPolicy
from aifhub.support.tickets import is_desk


@dataclass
class Dashboard:
    """Figures of the desk."""

    by_state: dict[str, int]
    open_tickets: int
    first_response_breaches: int
    resolution_breaches: int
    load: list[tuple[int, str, int, int]]  # expert id, name, open tickets, capacity
    median_first_response_h: float | None
    median_resolution_h: float | None
    window_days: int


async def desk_dashboard(
    session: AsyncSession, actor: User, *, policy: SlaPolicy, window_days: int = 90
) -> Dashboard:
    """Open tickets by state, breaches, load per expert, medians in working hours (4 queries)."""
    if not is_desk(actor):
        raise PermissionDenied("The support dashboard is for the support desk.")
    now = utcnow()
    by_state = {
        s: int(n)
        for s, n in (
            await session.execute(select(Ticket.state, func.count()).group_by(Ticket.state))
        ).all()
    }
    is_open = Ticket.state.in_(OPEN_STATES)
    first_breach = or_(
        and_(Ticket.first_response_at.is_(None), Ticket.first_response_due < now),
        Ticket.first_response_at > Ticket.first_response_due,
    )
    resolve_breach = and_(Ticket.resolved_at.is_(None), Ticket.resolution_due < now)
    fb, rb = (
        await session.execute(
            select(
                func.coalesce(func.sum(case((first_breach, 1), else_=0)), 0),
                func.coalesce(func.sum(case((resolve_breach, 1), else_=0)), 0),
            ).where(is_open)
        )
    ).one()
    load = [(u.id, u.name, n, p.capacity) for p, u, n in await list_experts(session)]
    since = now - timedelta(days=window_days)
    rows = (
        await session.execute(
            select(Ticket.created_at, Ticket.first_response_at, Ticket.resolved_at).where(
                Ticket.created_at >= since
            )
        )
    ).all()
    cal = policy.calendar
    firsts = [cal.working_seconds(c, f) / 3600 for c, f, _ in rows if f is not None]
    resolved = [cal.working_seconds(c, r) / 3600 for c, _, r in rows if r is not None]
    return Dashboard(
        by_state=by_state,
        open_tickets=sum(by_state.get(s, 0) for s in OPEN_STATES),
        first_response_breaches=int(fb),
        resolution_breaches=int(rb),
        load=load,
        median_first_response_h=round(statistics.median(firsts), 2) if firsts else None,
        median_resolution_h=round(statistics.median(resolved), 2) if resolved else None,
        window_days=window_days,
    )
