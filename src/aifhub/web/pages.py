"""Collects every domain's page router."""

from __future__ import annotations

from fastapi import APIRouter

from aifhub.identity.oidc import router as oidc_router


def routers() -> list[APIRouter]:
    """Page routers of every domain, in mount order."""
    return [oidc_router]
