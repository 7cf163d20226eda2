"""Catalogue pages: search as you type, an asset's page, access requests and decisions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aifhub.catalog import assets, contracts, versions
from aifhub.catalog.search import SCALAR_FACETS, SORTS, SearchFilters, search_assets
from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError, NotFound
from aifhub.core.validation import Id
from aifhub.identity import PROJECT_MANAGERS, CsrfForm, OptionalPageUser, list_projects
from aifhub.schemas import catalog as schemas
from aifhub.web.render import gettext, redirect, render

router = APIRouter(include_in_schema=False)
FILTERS = (*SCALAR_FACETS, "language", "sector")


@router.get("/catalog")
async def catalog_page(request: Request, db: DbSession, user: OptionalPageUser) -> Response:
    """Search datasets and models; HTMX asks for the results fragment only."""
    params = request.query_params
    q = params.get("q", "")[:200]
    sort = params.get("sort", "relevance")
    sort = sort if sort in SORTS else "relevance"
    chosen = {k: params[k] for k in FILTERS if params.get(k)}
    result = await search_assets(
        db, q=q or None, filters=SearchFilters(**chosen), sort=sort, limit=30
    )
    ctx: dict[str, Any] = {"q": q, "sort": sort, "chosen": chosen, "result": result}
    if request.headers.get("hx-request"):
        return render(request, "catalog/_results.html", **ctx)
    return render(request, "catalog/search.html", sorts=SORTS, **ctx)


async def _asset_context(db: DbSession, user: Any, slug: str) -> dict[str, Any]:
    asset = await assets.visible_asset(db, user, slug)
    owner = user is not None and await assets.is_owner_member(db, user, asset)
    manager = False
    if user is not None:
        try:
            await assets.require_owner(db, user, asset)
            manager = True
        except AppError:
            manager = False
    rows = await versions.list_versions(db, user, slug)
    version_views = [await versions.to_read(db, v) for v in rows]
    projects: list[Any] = []
    requests: list[schemas.ContractRead] = []
    mine: list[schemas.ContractRead] = []
    if user is not None and not owner and asset.access_policy != "open":
        listed, _ = await list_projects(db, user, limit=200, offset=0)
        projects = [p for p, _org, role in listed if role in PROJECT_MANAGERS]
        mine = [
            contracts.to_read(r) for r in await contracts.list_mine(db, user) if r[1] == asset.slug
        ]
    if manager:
        requests = [contracts.to_read(r) for r in await contracts.list_for_asset(db, user, slug)]
    return {
        "asset": await assets.to_read(db, asset),
        "versions": version_views,
        "owner": owner,
        "manager": manager,
        "projects": projects,
        "requests": requests,
        "mine": mine,
    }


@router.get("/catalog/{ns}/{name}")
async def asset_page(
    request: Request, db: DbSession, user: OptionalPageUser, ns: str, name: str
) -> Response:
    """An asset: its card, versions and files, and how to get access."""
    ctx = await _asset_context(db, user, f"{ns}/{name}")
    return render(request, "catalog/asset.html", errors={}, values={}, **ctx)


@router.post("/catalog/{ns}/{name}/request")
async def request_page(
    request: Request, db: DbSession, user: OptionalPageUser, form: CsrfForm, ns: str, name: str
) -> Response:
    """Send an access request from the asset's page."""
    slug = f"{ns}/{name}"
    asset = await assets.get_asset(db, slug)
    answers: dict[str, Any] = {}
    for q in asset.gate_questions:
        value = form.get(f"q_{q['name']}")
        if q["type"] == "checkbox":
            answers[q["name"]] = value == "on"
        elif value:
            answers[q["name"]] = value
    values = {"project": form.get("project", ""), "purpose": form.get("purpose", "")}
    errors: dict[str, str] = {}
    try:
        data = schemas.AccessRequestCreate(
            project=str(values["project"]), purpose=str(values["purpose"]), answers=answers
        )
        assert user is not None
        async with attempt(db):  # a refusal leaves nothing; the page says why
            await contracts.request_access(db, user, slug, data=data)
    except ValueError as exc:
        errors["__all__"] = str(exc).splitlines()[-1] if "validation" in str(exc) else str(exc)
    except AppError as exc:
        errors["__all__"] = exc.detail
    if errors:
        ctx = await _asset_context(db, user, slug)
        return render(
            request, "catalog/asset.html", status_code=422, errors=errors, values=values, **ctx
        )
    return redirect(request, f"/catalog/{slug}", gettext(request, "Access request sent."))


@router.post("/access-requests/{contract_id}/{action}")
async def decide_page(
    request: Request,
    db: DbSession,
    user: OptionalPageUser,
    form: CsrfForm,
    contract_id: Id,
    action: str,
) -> Response:
    """Agree, reject, accept or end an access request from the asset's page."""
    assert user is not None
    note = str(form.get("note", ""))[:2000]
    if action in ("agree", "reject"):
        await contracts.decide(
            db, user, contract_id, approve=action == "agree",
            data=schemas.ContractDecision(note=note),
        )  # fmt: skip
    elif action == "finalize":
        await contracts.finalize(db, user, contract_id)
    elif action == "terminate":
        await contracts.terminate(db, user, contract_id, note=note)
    else:
        raise NotFound(f"No action '{action}' on access requests.")
    _c, asset_slug, _p, _o = await contracts.get_row(db, contract_id)
    return redirect(request, f"/catalog/{asset_slug}", gettext(request, "Access request updated."))
