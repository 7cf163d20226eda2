"""Catalogue test helpers: owners, assets, versions with files, requesting projects."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from ..factories import api_user, make_org, make_project


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def owner_with_asset(
    client: httpx.AsyncClient,
    db: AsyncSession,
    *,
    slug: str = "neuro/mri-small",
    org: str = "neuro",
    **fields: object,
) -> dict[str, str]:
    """An organisation owner and one asset of theirs; returns the owner's headers."""
    h = await api_user(db, f"owner@{org}.example")
    await make_org(client, h, org)
    body = {
        "kind": "dataset",
        "organisation": org,
        "slug": slug,
        "name": "MRI small",
        "license": "cc-by-4.0",
        "summary": "Anonymised brain MRI scans",
        **fields,
    }
    r = await client.post("/api/v1/catalog", json=body, headers=h)
    assert r.status_code == 201, r.text
    return h


async def publish(
    client: httpx.AsyncClient,
    h: dict[str, str],
    slug: str,
    label: str,
    files: dict[str, bytes],
) -> dict:
    """Create a draft, upload the files, publish it."""
    r = await client.post(f"/api/v1/catalog/{slug}/versions", json={"label": label}, headers=h)
    assert r.status_code == 201, r.text
    for path, data in files.items():
        r = await client.put(
            f"/api/v1/catalog/{slug}/versions/{label}/files/{path}",
            content=data,
            headers={**h, "X-Content-SHA256": sha(data)},
        )
        assert r.status_code == 201, r.text
    r = await client.post(f"/api/v1/catalog/{slug}/versions/{label}/publish", headers=h)
    assert r.status_code == 200, r.text
    return r.json()


async def requester(
    client: httpx.AsyncClient,
    db: AsyncSession,
    *,
    org: str = "aero",
    project: str = "wing-cfd",
    **org_fields: object,
) -> dict[str, str]:
    """A PI of a project in another organisation."""
    h = await api_user(db, f"pi@{org}.example")
    await make_org(client, h, org, **org_fields)
    await make_project(client, h, project, org)
    return h
