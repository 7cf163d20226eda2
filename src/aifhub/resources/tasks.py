"""Start-up work of the resources domain: the site file's clusters into their tables."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aifhub.core.infra import Infrastructure
from aifhub.resources.site import sync_site


async def sync_site_file(maker: async_sessionmaker[AsyncSession], infra: Infrastructure) -> None:
    """Create, update or disable clusters and partitions as the site file says (at start)."""
    async with maker() as session:
        await sync_site(session, infra.site, base_dir=infra.paths.site_dir)
        await session.commit()
