"""The demo factory: each domain's demo data, loaded in layer order into one transaction.

Every domain keeps its own demo data in its `demo.py`; this module only orders them.
"""

from __future__ import annotations

from sqlalchemy import select

from aifhub.access.demo import load_access_demo
from aifhub.catalog.demo import load_catalog_demo
from aifhub.core import context
from aifhub.core.config import Settings
from aifhub.core.db import make_engine, make_sessionmaker
from aifhub.core.infra import build_infrastructure
from aifhub.ecosystem.demo import load_ecosystem_demo
from aifhub.identity.demo import ADMIN_EMAIL, DEMO_LOGINS, DEMO_PASSWORD, load_identity_demo
from aifhub.identity.models import User
from aifhub.support.demo import load_support_demo

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "load_demo"]


async def load_demo(settings: Settings) -> bool:
    """Create the demo data unless it is already there; True when it was created."""
    infra = build_infrastructure(settings)
    engine = make_engine(settings.resolved_database_url())
    try:
        async with make_sessionmaker(engine)() as session:
            if await session.scalar(select(User.id).where(User.email == ADMIN_EMAIL)):
                return False
            context.begin(None, actor_label="demo-loader")
            await load_identity_demo(session)
            await load_support_demo(session, admin_email=ADMIN_EMAIL)
            await load_ecosystem_demo(session, admin_email=ADMIN_EMAIL)
            await load_access_demo(session, infra.site)
            await load_catalog_demo(session, infra.store)
            await session.commit()
            return True
    finally:
        await engine.dispose()
