"""Access pages: apply, follow and revise (applicants); act on applications (staff)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import identity, resources
from aifhub.access import allocations, applications, conflicts, decisions, lookup, reviews
from aifhub.access.modes import list_modes, mode_spec
from aifhub.access.read import allocation_read, application_out, application_read, mode_read
from aifhub.access.web_common import access_page, act, synced_modes, translated
from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError, InvalidInput
from aifhub.core.i18n import N_
from aifhub.core.pagination import Pagination
from aifhub.core.validation import Id
from aifhub.identity import SECTORS, CsrfForm, PageUser, choices, refused
from aifhub.identity.models import User
from aifhub.schemas.access import ApplicationCreate, ApplicationUpdate
from aifhub.web.forms import form_values, validate
from aifhub.web.render import gettext, redirect

router = APIRouter(include_in_schema=False)

ITEM_ROWS = 3


async def _form_ctx(request: Request, db: AsyncSession, user: User, **ctx: Any) -> dict[str, Any]:
    await synced_modes(request, db)
    rows, _ = await identity.list_projects(db, user, limit=500, offset=0)
    parts = [p for p, _ in await resources.list_usable_partitions(db)]
    ctx.setdefault("values", {})
    ctx.setdefault("errors", {})
    modes = [mode_read(m) for m in await list_modes(db)]
    return {
        "mode_choices": [(m.slug, translated(request, m.name)) for m in modes],
        "pi_projects": [(p.slug, p.name) for p, _, role in rows if role == "pi"],
        "modes": modes,
        "partitions": [(p.key, f"{p.key} ({p.unit})") for p in parts],
        "sector_choices": choices(request, SECTORS),
        "item_rows": range(1, ITEM_ROWS + 1),
        **ctx,
    }


def _items(values: dict[str, Any]) -> list[dict[str, str]] | None:
    out = []
    for i in range(1, ITEM_ROWS + 1):
        key, amount = values.get(f"partition_{i}"), values.get(f"amount_{i}")
        if key and amount:
            out.append({"partition": key, "amount": amount})
    return out or None


def _data(values: dict[str, Any], *, create: bool) -> dict[str, Any]:
    keys = ("project", "mode", "title", "sector", "duration_months", "technical_description")
    data = {k: values[k] for k in (*keys, "datasets_models") if k in values}
    data["fallback_partitions"] = values.get("fallback_partitions", [])
    items = _items(values)
    if items is not None or create:
        data["items"] = items or []
    if not create:
        data.pop("project", None)
        data.pop("mode", None)
    return data


@router.get("/applications")
async def applications_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    pg: Pagination,
    state: str = "",
    project: str = "",
) -> Response:
    """My applications (all, for staff), newest first; `project` keeps one project's."""
    await synced_modes(request, db)
    rows, total = await applications.list_applications(
        db, user, limit=pg.limit, offset=pg.offset, state=state or None, project=project or None
    )
    return access_page(
        request,
        "access/applications.html",
        apps=[application_read(v) for v in rows],
        state=state,
        pg={"total": total, "limit": pg.limit, "offset": pg.offset},
    )


@router.get("/applications/new")
async def new_application(request: Request, db: DbSession, user: PageUser) -> Response:
    """The application form."""
    values = {
        "mode": request.query_params.get("mode", ""),
        "project": request.query_params.get("project", ""),
    }
    ctx = await _form_ctx(request, db, user, values=values)
    return access_page(request, "access/application_form.html", **ctx)


@router.post("/applications/new")
async def create_application(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm
) -> Response:
    """Draft an application from the form."""
    values = form_values(form, "fallback_partitions")
    await synced_modes(request, db)
    data, errors = validate(request, ApplicationCreate, _data(values, create=True))
    if data is not None:
        try:
            async with attempt(db):
                app = await applications.create_application(db, user, data=data)
        except AppError as exc:
            errors = refused(exc)
    if errors:
        ctx = await _form_ctx(request, db, user, values=values, errors=errors)
        return access_page(request, "access/application_form.html", status_code=422, **ctx)
    return redirect(
        request,
        f"/applications/{app.id}",
        gettext(request, "Draft saved. Check it, then submit it."),
    )


@router.get("/applications/{app_id}")
async def application_page(request: Request, db: DbSession, user: PageUser, app_id: Id) -> Response:
    """An application: where it stands, its deadline, and what can be done now."""
    app = await lookup.get_application(db, user, app_id)
    read = await application_out(db, app)
    review_rows = []
    conflicted, reviewers = False, []
    if user.has_role("reviewer"):
        review_rows = await reviews.list_reviews(db, user, application_id=app_id)
        # Staff of the applicant's organisation see no actions; others see only free reviewers.
        conflicted = await conflicts.has_conflict(db, user, app)
        reviewers = [] if conflicted else await reviews.eligible_reviewers(db, app)
    is_pi = await identity.project_role(db, user, app.project_id) == "pi"
    spec = await mode_spec(db, app.mode_id)
    return access_page(
        request,
        "access/application_detail.html",
        a=read,
        mode=spec,
        # National access: the director (staff admin) validates; other staff see who does.
        may_decide=spec.decider_role != "admin" or user.has_role("admin"),
        is_pi=is_pi,
        assessor=user.has_role("reviewer"),
        conflicted=conflicted,
        reviewers=reviewers,
        review_rows=review_rows,
        editable=read.state in applications.EDITABLE,
    )


@router.get("/applications/{app_id}/edit")
async def edit_application(request: Request, db: DbSession, user: PageUser, app_id: Id) -> Response:
    """The revision form of a draft or of an application sent back for changes."""
    read = await application_out(db, await lookup.get_application(db, user, app_id))
    values: dict[str, Any] = read.model_dump(mode="json")
    for i, item in enumerate(read.items, 1):
        values[f"partition_{i}"], values[f"amount_{i}"] = item.partition, str(item.requested)
    ctx = await _form_ctx(request, db, user, values=values, a=read)
    return access_page(request, "access/application_form.html", **ctx)


@router.post("/applications/{app_id}/edit")
async def update_application(
    request: Request, db: DbSession, user: PageUser, app_id: Id, form: CsrfForm
) -> Response:
    """Save a revision."""
    values = form_values(form, "fallback_partitions")
    data, errors = validate(request, ApplicationUpdate, _data(values, create=False))
    if data is not None:
        try:
            async with attempt(db):
                await applications.update_application(db, user, app_id, data=data)
        except AppError as exc:
            errors = refused(exc)
    if errors:
        read = await application_out(db, await lookup.get_application(db, user, app_id))
        ctx = await _form_ctx(request, db, user, values=values, errors=errors, a=read)
        return access_page(request, "access/application_form.html", status_code=422, **ctx)
    return redirect(request, f"/applications/{app_id}", gettext(request, "Changes saved."))


@router.post("/applications/{app_id}/{action}")
async def application_action(
    request: Request, db: DbSession, user: PageUser, app_id: Id, action: str, form: CsrfForm
) -> Response:
    """Submit, withdraw, or (staff) assess, assign, send to peer review, ask for changes, decide,
    allocate."""
    url = f"/applications/{app_id}"
    reason = str(form.get("reason") or "").strip()
    granted: list[bool] = []

    async def submit() -> Any:
        app = await applications.submit_application(db, user, app_id)
        granted.append(app.allocated_at is not None)  # decided at once (auto_decide)
        return app

    def submitted() -> str:
        if granted and granted[0]:
            return N_("Submitted and granted at once: you can compute now.")
        return N_("Submitted: eligibility checked.")

    calls: dict[str, tuple[Callable[[], Awaitable[Any]], str | Callable[[], str]]] = {
        "submit": (submit, submitted),
        "withdraw": (
            lambda: applications.withdraw_application(db, user, app_id),
            N_("Application withdrawn."),
        ),
        "assess": (
            lambda: decisions.start_assessment(db, user, app_id),
            N_("Technical assessment started."),
        ),
        "peer-review": (
            lambda: decisions.send_to_peer_review(db, user, app_id),
            N_("Sent to peer review."),
        ),
        "request-changes": (
            lambda: decisions.request_changes(db, user, app_id, reason=_reason(reason)),
            N_("Changes requested from the applicant."),
        ),
        "assign": (
            lambda: reviews.assign_reviewer(
                db,
                user,
                app_id,
                reviewer_email=str(form.get("reviewer") or ""),
                step=_step(form.get("step")),
            ),
            N_("Reviewer assigned."),
        ),
        "allocate": (
            lambda: decisions.allocate_accepted(db, user, app_id),
            N_("Allocation created."),
        ),
        "decide": (
            lambda: decisions.decide_application(
                db,
                user,
                app_id,
                outcome=_outcome(form.get("outcome")),
                reason=_reason(reason),
                granted=_granted(form),
            ),
            N_("Decision recorded."),
        ),
    }
    if action not in calls:
        return redirect(request, url, gettext(request, "Unknown action."), kind="error")
    call, done = calls[action]
    return await act(request, db, url, call, done)


def _reason(value: str) -> str:
    if len(value) < 3:
        raise InvalidInput("Give a reason of at least 3 characters.")
    return value


def _step(value: object) -> str:
    return "peer" if value == "peer" else "technical"


def _outcome(value: object) -> str:
    return "accept" if value == "accept" else "reject"


def _granted(form: Any) -> dict[str, Decimal]:
    out = {}
    for key in form.keys():
        if key.startswith("granted:") and form.get(key):
            try:
                out[key.removeprefix("granted:")] = Decimal(str(form.get(key)))
            except InvalidOperation:
                out[key.removeprefix("granted:")] = Decimal(-1)
    return out


@router.get("/allocations")
async def allocations_page(
    request: Request, db: DbSession, user: PageUser, pg: Pagination, project: str = ""
) -> Response:
    """Allocations of my projects with their balances; `project` keeps one project's."""
    rows, total = await allocations.list_allocations(
        db, user, limit=pg.limit, offset=pg.offset, project=project or None
    )
    return access_page(
        request,
        "access/allocations.html",
        allocs=[allocation_read(*r) for r in rows],
        pg={"total": total, "limit": pg.limit, "offset": pg.offset},
    )
