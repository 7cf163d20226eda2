"""The support part of a project's page: its tickets and the way to open one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.i18n import N_
from aifhub.core.modules import Section
from aifhub.identity.models import Project, User
from aifhub.support.models import Ticket
from aifhub.support.tickets import visible_tickets

RECENT_TICKETS = 5


async def project_tickets(
    session: AsyncSession, user: User, project_id: int, *, limit: int = RECENT_TICKETS
) -> list[Ticket]:
    """The project's newest tickets this user may see, in one statement."""
    query = visible_tickets(user).where(Ticket.project_id == project_id)
    return list(await session.scalars(query.order_by(Ticket.id.desc()).limit(limit)))


async def support_section(session: AsyncSession, user: User, project: Project) -> Section:
    """The project's recent tickets and "New ticket" (the project already chosen)."""
    return Section(
        "support/_project_section.html",
        {
            "anchor": "tickets",
            "title": N_("Tickets"),
            "tickets": await project_tickets(session, user, project.id),
        },
        order=50,
    )
