"""Collects every domain's page router."""

from __future__ import annotations

from fastapi import APIRouter

from aifhub.identity.oidc import router as oidc_router


def routers() -> list[APIRouter]:
    """Page routers of every domain, in mount order."""
    from aifhub.access.web import router as access_router
    from aifhub.catalog.web import router as catalog_router
    from aifhub.compute.web import router as compute_router
    from aifhub.compute.web_logins import router as compute_logins_router
    from aifhub.ecosystem.web import router as ecosystem_router
    from aifhub.identity.web import router as identity_router
    from aifhub.recommend.web import router as recommend_router
    from aifhub.support.web import router as support_router
    from aifhub.web.common import router as common_router

    return [
        common_router,
        identity_router,
        oidc_router,
        access_router,
        support_router,
        ecosystem_router,
        recommend_router,
        catalog_router,
        compute_router,
        compute_logins_router,
    ]
