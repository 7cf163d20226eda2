"""The staff dashboard of time-to-access per mode, computed in SQL in three queries.

Time-to-access runs from the first submission to the decision, in calendar days. Percentiles
use the nearest-rank method (the value at rank ceil(p * n)), which plain SQL window functions
compute the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access import workflow
from aifhub.access.models import AccessMode, Application
from aifhub.core.db import utcnow
from aifhub.core.errors import PermissionDenied
from aifhub.identity.models import User
from aifhub.schemas.access import Dashboard, ModeStats


def _exprs(dialect: str) -> tuple[Any, Any]:
    decided_day: Any
    if dialect == "postgresql":
        decided_day = cast(func.timezone("UTC", Application.decided_at), Date)
        days = func.extract("epoch", Application.decided_at - Application.submitted_at) / 86400.0
    else:
        decided_day = func.date(Application.decided_at)
        days = func.julianday(Application.decided_at) - func.julianday(Application.submitted_at)
    return decided_day, days


async def access_dashboard(
    session: AsyncSession, actor: User, *, today: date | None = None
) -> Dashboard:
    """Per mode: submitted, open, decided, late, median and 90th percentile days to a decision."""
    if not actor.is_staff:
        raise PermissionDenied("The access dashboard is for the factory's staff.")
    today = today or utcnow().date()
    decided_day, days = _exprs(session.get_bind().dialect.name)
    decided = Application.decided_at.is_not(None)
    late = or_(
        and_(decided, decided_day > Application.due_date),
        and_(
            Application.decided_at.is_(None),
            Application.state.in_(workflow.OPEN_STATES),
            Application.due_date < today,
        ),
    )
    counts = {
        row.mode_id: row
        for row in (
            await session.execute(
                select(
                    Application.mode_id,
                    func.count(Application.submitted_at).label("submitted"),
                    func.sum(case((Application.state.in_(workflow.OPEN_STATES), 1), else_=0)).label(
                        "open"
                    ),
                    func.sum(case((decided, 1), else_=0)).label("decided"),
                    func.sum(case((late, 1), else_=0)).label("late"),
                ).group_by(Application.mode_id)
            )
        ).all()
    }
    ranked = (
        select(
            Application.mode_id.label("mode_id"),
            days.label("days"),
            func.row_number().over(partition_by=Application.mode_id, order_by=days).label("rn"),
            func.count().over(partition_by=Application.mode_id).label("n"),
        )
        .where(decided, Application.submitted_at.is_not(None))
        .subquery()
    )

    def at_rank(pct: int) -> Any:
        hit = and_(
            ranked.c.rn * 100 >= pct * ranked.c.n, (ranked.c.rn - 1) * 100 < pct * ranked.c.n
        )
        return func.max(case((hit, ranked.c.days), else_=None))

    pcts = {
        row.mode_id: row
        for row in (
            await session.execute(
                select(
                    ranked.c.mode_id, at_rank(50).label("median"), at_rank(90).label("p90")
                ).group_by(ranked.c.mode_id)
            )
        ).all()
    }
    modes = await session.execute(
        select(AccessMode.id, AccessMode.slug, AccessMode.name).order_by(AccessMode.id)
    )
    out = []
    for mode_id, slug, name in modes.all():
        c, p = counts.get(mode_id), pcts.get(mode_id)
        out.append(
            ModeStats(
                mode=slug,
                name=name,
                submitted=int(c.submitted) if c else 0,
                open=int(c.open or 0) if c else 0,
                decided=int(c.decided or 0) if c else 0,
                late=int(c.late or 0) if c else 0,
                median_days=round(float(p.median), 2) if p and p.median is not None else None,
                p90_days=round(float(p.p90), 2) if p and p.p90 is not None else None,
            )
        )
    return Dashboard(as_of=utcnow(), modes=out)
