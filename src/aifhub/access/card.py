"""The access card of the home dashboard: open applications and active allocations."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access import workflow
from aifhub.access.allocations import visible_allocations
from aifhub.access.ledger import balances
from aifhub.access.models import Allocation, Application
from aifhub.core.modules import Card
from aifhub.identity import visible_projects
from aifhub.identity.models import Project, User
from aifhub.schemas.enums.access import AllocationState


async def access_card(session: AsyncSession, user: User, request: Request) -> Card | None:
    """My open applications, what is left of my active allocations and how many are in
    overrun (staff: not shown)."""
    if user.is_staff:
        return None
    visible = visible_projects(user).with_only_columns(Project.id)
    open_apps = await session.scalar(
        select(func.count()).where(
            Application.project_id.in_(visible), Application.state.in_(workflow.OPEN_STATES)
        )
    )
    active = list(
        await session.scalars(
            visible_allocations(user).where(Allocation.state == AllocationState.ACTIVE.value)
        )
    )
    if not open_apps and not active:
        return None
    bal = await balances(session, [a.id for a in active])
    remaining = sum((b.remaining for b in bal.values()), start=0)
    overrun = sum(1 for b in bal.values() if b.overrun > 0)
    return Card(
        "access/card.html",
        {
            "open_apps": int(open_apps or 0),
            "active": len(active),
            "remaining": remaining,
            "overrun": overrun,
        },
        order=30,
    )
