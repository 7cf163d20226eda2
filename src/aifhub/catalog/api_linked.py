"""Linked-data endpoints of the catalogue: DCAT-AP 3 in JSON-LD and Turtle (one asset, the
paged catalogue) and schema.org. Harvested by public portals: published assets only, no
authentication."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from aifhub.catalog import linked_catalog, linked_data
from aifhub.core.db import DbSession
from aifhub.core.infra import get_infra
from aifhub.core.openapi import text_responses

router = APIRouter(tags=["catalog"])
ASSET = "/catalog/{ns}/{name}"
LD_JSON = "application/ld+json"
TURTLE = "text/turtle; charset=utf-8"
Page = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=linked_catalog.MAX_PAGE_SIZE)]


async def _catalog_page(
    request: Request, db: DbSession, page: int, per_page: int, ext: str
) -> dict[str, Any]:
    items, total = await linked_catalog.public_assets_page(db, page=page, per_page=per_page)
    return linked_catalog.catalog_document(
        items,
        total=total,
        page=page,
        per_page=per_page,
        base_url=request.app.state.settings.base_url,
        factory_name=get_infra(request).site.factory_name,
        dates=await linked_catalog.catalog_dates(db),
        extension=ext,
    )


async def _asset_doc(request: Request, db: DbSession, slug: str) -> dict[str, Any]:
    item = await linked_catalog.public_asset(db, slug)
    return linked_data.dcat(
        item.asset,
        publisher=item.publisher,
        base_url=request.app.state.settings.base_url,
        version=item.version,
        files=item.files,
    )


async def _turtle(doc: dict[str, Any]) -> Response:
    # Parsing a page of RDF takes a moment of CPU: off the event loop.
    text = await run_in_threadpool(linked_data.to_turtle, doc)
    return Response(text, media_type=TURTLE)


@router.get(
    "/catalog/dcat.jsonld",
    response_class=JSONResponse,
    responses=text_responses(LD_JSON, "A page of the DCAT-AP 3 catalogue (JSON-LD)"),
)
async def dcat_catalog(
    request: Request, db: DbSession, page: Page = 1, per_page: PerPage = (linked_catalog.PAGE_SIZE)
) -> JSONResponse:
    """The public catalogue as a paged DCAT-AP 3 dcat:Catalog (hydra:next to the next page)."""
    doc = await _catalog_page(request, db, page, per_page, "jsonld")
    return JSONResponse(doc, media_type=LD_JSON)


@router.get(
    "/catalog/dcat.ttl",
    response_class=Response,
    responses=text_responses(TURTLE, "A page of the DCAT-AP 3 catalogue (Turtle)"),
)
async def dcat_catalog_turtle(
    request: Request, db: DbSession, page: Page = 1, per_page: PerPage = (linked_catalog.PAGE_SIZE)
) -> Response:
    """The same paged dcat:Catalog in Turtle."""
    return await _turtle(await _catalog_page(request, db, page, per_page, "ttl"))


@router.get(
    ASSET + "/dcat.jsonld",
    response_class=JSONResponse,
    responses=text_responses(LD_JSON, "The asset in DCAT-AP 3 (JSON-LD)"),
)
async def dcat(request: Request, db: DbSession, ns: str, name: str) -> JSONResponse:
    """The dataset or model in DCAT-AP 3 (JSON-LD); published assets only."""
    return JSONResponse(await _asset_doc(request, db, f"{ns}/{name}"), media_type=LD_JSON)


@router.get(
    ASSET + "/dcat.ttl",
    response_class=Response,
    responses=text_responses(TURTLE, "The asset in DCAT-AP 3 (Turtle)"),
)
async def dcat_turtle(request: Request, db: DbSession, ns: str, name: str) -> Response:
    """The dataset or model in DCAT-AP 3 (Turtle); published assets only."""
    return await _turtle(await _asset_doc(request, db, f"{ns}/{name}"))


@router.get(
    ASSET + "/schema.jsonld",
    response_class=JSONResponse,
    responses=text_responses(LD_JSON, "The dataset as a schema.org Dataset (JSON-LD)"),
)
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
