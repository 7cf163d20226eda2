"""The catalogue part of a project's page: its requests for datasets and models."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog.models import AccessContract, Asset
from aifhub.core.i18n import N_
from aifhub.core.modules import Section
from aifhub.identity.models import Project, User

RECENT_REQUESTS = 10


async def project_requests(
    session: AsyncSession, project_id: int, *, limit: int = RECENT_REQUESTS
) -> list[tuple[AccessContract, str, str]]:
    """The project's newest data requests with the asset's slug and name, in one statement."""
    rows = await session.execute(
        select(AccessContract, Asset.slug, Asset.name)
        .join(Asset, Asset.id == AccessContract.asset_id)
        .where(AccessContract.project_id == project_id)
        .order_by(AccessContract.id.desc())
        .limit(limit)
    )
    return [(c, slug, name) for c, slug, name in rows.all()]


async def catalog_section(session: AsyncSession, user: User, project: Project) -> Section:
    """The project's data requests, each linked to its asset, and the way to the catalogue."""
    return Section(
        "catalog/_project_section.html",
        {
            "anchor": "data-requests",
            "title": N_("Data requests"),
            "requests": await project_requests(session, project.id),
        },
        order=40,
    )
