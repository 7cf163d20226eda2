"""Linked-data endpoints of the catalogue: DCAT-AP 3 (one asset, the paged catalogue) and
schema.org. Harvested by public portals: published assets only, no authentication."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from aifhub.catalog import linked_catalog, linked_data
from aifhub.core.db import DbSession
from aifhub.core.infra import get_infra

router = APIRouter(tags=["catalog"])
ASSET = "/catalog/{ns}/{name}"
LD_JSON = "application/ld+json"


@router.get("/catalog/dcat.jsonld")
async def dcat_catalog(
    request: Request,
    db: DbSession,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=linked_catalog.MAX_PAGE_SIZE)] = (
        linked_catalog.PAGE_SIZE
    ),
) -> JSONResponse:
    """The public catalogue as a paged DCAT-AP 3 dcat:Catalog (hydra:next to the next page)."""
    items, total = await linked_catalog.public_assets_page(db, page=page, per_page=per_page)
    doc = linked_catalog.catalog_document(
        items,
        total=total,
        page=page,
        per_page=per_page,
        base_url=request.app.state.settings.base_url,
        factory_name=get_infra(request).site.factory_name,
        dates=await linked_catalog.catalog_dates(db),
    )
    return JSONResponse(doc, media_type=LD_JSON)


@router.get(ASSET + "/dcat.jsonld")
async def dcat(request: Request, db: DbSession, ns: str, name: str) -> JSONResponse:
    """The dataset or model in DCAT-AP 3 (JSON-LD); published assets only."""
    item = await linked_catalog.public_asset(db, f"{ns}/{name}")
    doc = linked_data.dcat(
        item.asset,
        publisher=item.publisher,
        base_url=request.app.state.settings.base_url,
        version=item.version,
        files=item.files,
    )
    return JSONResponse(doc, media_type=LD_JSON)


@router.get(ASSET + "/schema.jsonld")
async def schema_org(request: Request, db: DbSession, ns: str, name: str) -> JSONResponse:
    """The dataset as a schema.org Dataset (JSON-LD); published datasets only."""
    doc = await schema_org_for(request, db, f"{ns}/{name}")
    return JSONResponse(doc, media_type=LD_JSON)


async def schema_org_for(request: Request, db: DbSession, slug: str) -> dict[str, Any]:
    """A published dataset's schema.org Dataset, for the API and for the dataset's page."""
    return await linked_catalog.schema_org_of(
        db,
        slug,
        base_url=request.app.state.settings.base_url,
        factory_name=get_infra(request).site.factory_name,
    )
