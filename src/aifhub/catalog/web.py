"""Catalogue pages: search as you type, publishing a dataset, an asset's page with its files,
access requests and the decisions on them, the access log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from aifhub.catalog import assets, contracts, downloads, versions
from aifhub.catalog.api import file_response
from aifhub.catalog.api_linked import schema_org_for
from aifhub.catalog.labels import LABELS, POLICIES
from aifhub.catalog.search import SCALAR_FACETS, SORTS, SearchFilters, search_assets
from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError, InvalidInput, NotFound
from aifhub.core.i18n import N_
from aifhub.core.infra import get_infra
from aifhub.core.validation import Id
from aifhub.identity import (
    ORG_MANAGERS,
    PROJECT_MANAGERS,
    CsrfForm,
    OptionalPageUser,
    PageUser,
    list_orgs,
    list_projects,
    refused_message,
)
from aifhub.schemas import catalog as schemas
from aifhub.schemas.enums.catalog import ContractState
from aifhub.web.forms import field_errors
from aifhub.web.render import gettext, redirect, render

router = APIRouter(include_in_schema=False)
FILTERS = (*SCALAR_FACETS, "language", "sector")
# The policies a page can set: a restricted asset's rules are a JSON document (API or CLI).
PAGE_POLICIES = ("open", "gated")


def _page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> Response:
    return render(request, name, status_code=status_code, L=LABELS, **ctx)


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
        return _page(request, "catalog/_results.html", **ctx)
    waiting = await contracts.count_pending(db, user) if user is not None else 0
    return _page(request, "catalog/search.html", sorts=SORTS, waiting=waiting, **ctx)


# ---------------------------------------------------------------- publishing


def _policies(request: Request) -> list[tuple[str, str]]:
    return [(p, gettext(request, POLICIES[p])) for p in PAGE_POLICIES]


async def _managed_orgs(db: DbSession, user: Any) -> list[tuple[str, str]]:
    listed, _ = await list_orgs(db, user, limit=500, offset=0)
    return [(o.slug, o.name) for o, role in listed if role in ORG_MANAGERS]


def _questions(text: str) -> list[dict[str, Any]]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [
        {"name": f"q{i}", "label": line[:200], "type": "text"} for i, line in enumerate(lines, 1)
    ]


@router.get("/catalog/new")
async def new_asset_page(request: Request, db: DbSession, user: PageUser) -> Response:
    """The form that describes a new dataset or model of an organisation one manages."""
    orgs = await _managed_orgs(db, user)
    values = {"license": "cc-by-4.0", "kind": "dataset", "access_policy": "gated"}
    return _page(
        request,
        "catalog/new.html",
        orgs=orgs,
        policies=_policies(request),
        errors={},
        values=values,
    )


@router.post("/catalog/new")
async def new_asset(request: Request, db: DbSession, user: PageUser, form: CsrfForm) -> Response:
    """Create the asset; its page then takes the files and publishes the first version."""
    values = {k: str(form.get(k, "")).strip() for k in (
        "organisation", "slug", "name", "summary", "license", "kind", "access_policy",
        "questions",
    )}  # fmt: skip
    policy = values["access_policy"] if values["access_policy"] in PAGE_POLICIES else "open"
    body = {
        "organisation": values["organisation"],
        "slug": f"{values['organisation']}/{values['slug']}",
        "name": values["name"],
        "summary": values["summary"],
        "license": values["license"] or "unknown",
        "kind": values["kind"],
        "access_policy": policy,
        "gate_questions": _questions(values["questions"]) if policy == "gated" else [],
    }
    errors: dict[str, str] = {}
    try:
        data = schemas.AssetCreate.model_validate(body)
        async with attempt(db):
            asset = await assets.create_asset(db, user, data=data)
    except ValidationError as exc:
        errors = field_errors(request, exc)
        if "gate_questions" in errors:
            errors["questions"] = errors.pop("gate_questions")
    except AppError as exc:
        errors = {exc.field or "__all__": exc.detail}
    if errors:
        orgs = await _managed_orgs(db, user)
        return _page(
            request, "catalog/new.html", status_code=422,
            orgs=orgs, policies=_policies(request), errors=errors, values=values,
        )  # fmt: skip
    return redirect(
        request,
        f"/catalog/{asset.slug}",
        gettext(request, "Created. Add its files, then publish the version."),
    )


@router.post("/catalog/{ns}/{name}/upload")
async def upload_page(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, ns: str, name: str
) -> Response:
    """Add a file to a draft version (opened on the first file)."""
    slug = f"{ns}/{name}"
    label = str(form.get("label", "")).strip() or "v1"
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise InvalidInput("Choose a file to upload.", field="file")
        schemas.VersionCreate(label=label)
        async with attempt(db):
            row = await versions.upload_from_page(
                db, get_infra(request).store, user, slug, label, upload,
                max_bytes=request.app.state.settings.max_upload_bytes,
            )  # fmt: skip
    except ValidationError:
        why = gettext(request, "A version label uses letters, digits, '.', '_' or '-'.")
        return await _asset_again(request, db, user, slug, {"label": why})
    except AppError as exc:
        return await _asset_again(
            request, db, user, slug, {exc.field or "__all__": refused_message(exc)}
        )
    return redirect(
        request, f"/catalog/{slug}", gettext(request, "File %(path)s added.", path=row.path)
    )


@router.post("/catalog/{ns}/{name}/versions/{label}/publish")
async def publish_page(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, ns: str, name: str, label: str
) -> Response:
    """Publish a draft version: visible to all, immutable from now on."""
    slug = f"{ns}/{name}"
    try:
        async with attempt(db):
            await versions.publish_version(db, user, slug, label, store=get_infra(request).store)
    except AppError as exc:
        return await _asset_again(request, db, user, slug, {"__all__": refused_message(exc)})
    return redirect(
        request, f"/catalog/{slug}", gettext(request, "Version %(label)s published.", label=label)
    )


# ---------------------------------------------------------------- an asset's page


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
    history: list[schemas.ContractRead] = []
    mine: list[schemas.ContractRead] = []
    if user is not None and not owner and asset.access_policy != "open":
        listed, _ = await list_projects(db, user, limit=200, offset=0)
        mine = [
            contracts.to_read(r) for r in await contracts.list_mine(db, user) if r[1] == asset.slug
        ]
        # A project that has access, or a request under way, asks no more.
        busy = {c.project for c in mine if c.active or c.state in _UNDER_WAY}
        projects = [
            p for p, _org, role in listed if role in PROJECT_MANAGERS and p.slug not in busy
        ]
    grants = [c for c in mine if c.active]
    pending: list[contracts.PendingRequest] = []
    if manager:
        pending = await contracts.pending_requests(db, user, slug=slug)
        history = [
            contracts.to_read(r)
            for r in await contracts.list_for_asset(db, user, slug)
            if r[0].state != ContractState.REQUESTED
        ]
    open_asset = asset.access_policy == "open"
    # A restricted asset's policy may keep its files in the factory (jobs only).
    in_factory_only = (
        bool(grants)
        and not owner
        and await downloads.export_refused(db, user, slug, grants[0].project)
    )
    return {
        "asset": await assets.to_read(db, asset),
        "versions": version_views,
        "owner": owner,
        "manager": manager,
        "projects": [] if grants else projects,
        "pending": pending,
        "history": history,
        "mine": mine,
        "grants": grants,
        # Who gets download links: the owners, anyone signed in for open data, grant holders
        # (through the project named in the link).
        "may_download": owner
        or (user is not None and open_asset)
        or (bool(grants) and not in_factory_only),
        "in_factory_only": in_factory_only,
        "download_project": grants[0].project if grants and not owner else None,
    }


_UNDER_WAY = (ContractState.REQUESTED.value, ContractState.AGREED.value)


async def _asset_again(
    request: Request, db: DbSession, user: Any, slug: str, errors: dict[str, str]
) -> Response:
    ctx = await _asset_context(db, user, slug)
    return _page(request, "catalog/asset.html", status_code=422, errors=errors, values={}, **ctx)


@router.get("/catalog/{ns}/{name}")
async def asset_page(
    request: Request, db: DbSession, user: OptionalPageUser, ns: str, name: str
) -> Response:
    """An asset: its card, versions and files, and how to get access."""
    ctx = await _asset_context(db, user, f"{ns}/{name}")
    published = any(v.state == "published" for v in ctx["versions"])
    structured = None
    if ctx["asset"].kind == "dataset" and published:
        structured = await schema_org_for(request, db, f"{ns}/{name}")
    return _page(
        request,
        "catalog/asset.html",
        errors={},
        values={},
        published=published,
        structured_data=structured,
        **ctx,
    )


@router.get("/catalog/{ns}/{name}/files/{label}/{path:path}")
async def download_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    ns: str,
    name: str,
    label: str,
    path: str,
    project: str | None = None,
) -> Response:
    """Download a file from the browser, authorised and logged as an API download."""
    _, _, row = await downloads.authorize_download(
        db, user, f"{ns}/{name}", label, path, project_slug=project or None
    )
    return file_response(get_infra(request).store, row)


@router.get("/catalog/{ns}/{name}/access-log")
async def access_log_page(
    request: Request, db: DbSession, user: PageUser, ns: str, name: str
) -> Response:
    """Who downloaded or staged which file of the asset, and when (its owners)."""
    slug = f"{ns}/{name}"
    asset = await assets.to_read(db, await assets.get_asset(db, slug))
    entries = await downloads.access_log(db, user, slug, limit=500, offset=0)
    return _page(request, "catalog/access_log.html", asset=asset, entries=entries)


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
        return _page(
            request, "catalog/asset.html", status_code=422, errors=errors, values=values, **ctx
        )
    return redirect(request, f"/catalog/{slug}", gettext(request, "Access request sent."))


# ---------------------------------------------------------------- decisions


@router.get("/catalog/requests")
async def requests_page(request: Request, db: DbSession, user: PageUser) -> Response:
    """Access requests waiting for the user's decision, with every answer of the requester."""
    pending = await contracts.pending_requests(db, user)
    return _page(request, "catalog/requests.html", pending=pending, errors={})


def _back(form: Any, asset_slug: str) -> str:
    """Where to go after a decision: the pending list when it was made there."""
    return "/catalog/requests" if form.get("next") == "requests" else f"/catalog/{asset_slug}"


@router.post("/access-requests/{contract_id}/{action}")
async def decide_page(
    request: Request,
    db: DbSession,
    user: OptionalPageUser,
    form: CsrfForm,
    contract_id: Id,
    action: str,
) -> Response:
    """Approve, refuse, accept or end an access request from the asset's or the list's page."""
    assert user is not None
    note = str(form.get("note", ""))[:2000]
    _c, asset_slug, _p, _o = await contracts.get_row(db, contract_id)
    try:
        async with attempt(db):
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
    except InvalidInput as exc:
        errors = {f"{contract_id}-{exc.field or 'note'}": exc.detail}
        if form.get("next") == "requests":
            pending = await contracts.pending_requests(db, user)
            return _page(
                request, "catalog/requests.html", status_code=422, pending=pending, errors=errors
            )
        return await _asset_again(request, db, user, asset_slug, errors)
    messages = {
        "agree": N_("Request approved: the requester can now accept the terms."),
        "reject": N_("Request refused; the requester sees your reason."),
        "finalize": N_("Terms accepted: you have access."),
        "terminate": N_("Access ended."),
    }
    return redirect(request, _back(form, asset_slug), gettext(request, messages[action]))
