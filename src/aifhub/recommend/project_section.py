"""The recommend part of a project's page: the way to what the factory proposes to it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.i18n import N_
from aifhub.core.modules import Section
from aifhub.identity.models import Project, User


async def recommend_section(session: AsyncSession, user: User, project: Project) -> Section:
    """Links to the project's recommendations (ranking them is too slow for every visit)."""
    return Section(
        "recommend/_project_section.html",
        {"anchor": "recommendations", "title": N_("Recommendations")},
        order=60,
    )
