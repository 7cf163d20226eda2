"""Collects every domain's page router."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """Page routers of every domain, in mount order."""
    from aifhub.compute.web import router as compute_router
    from aifhub.identity.web import router as identity_router
    from aifhub.web.common import router as common_router

    return [common_router, identity_router, compute_router]
