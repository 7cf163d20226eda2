"""Cluster login pages: a user's logins and requests; the staff's page to manage them all
(pending requests, mapping a login, every login filtered, revocation)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from aifhub import resources
from aifhub.compute import logins
from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError
from aifhub.core.i18n import N_, Text
from aifhub.core.validation import Id
from aifhub.identity import CsrfForm, PageUser, StaffPageUser
from aifhub.identity.models import User
from aifhub.schemas.enums.compute import LoginStatus
from aifhub.web.render import gettext, page_locale, redirect, render

router = APIRouter(include_in_schema=False)

STAFF_PAGE = "/staff/cluster-logins"
# Rows of the page's list (newest first): the filters and the search reach the others.
LISTED_MAX = 200


def said(request: Request, exc: AppError) -> str:
    """The error's sentence in the page's language."""
    if isinstance(exc.detail, Text):
        return exc.detail.in_locale(page_locale(request))
    return gettext(request, exc.detail)


async def _mine(
    request: Request, db: DbSession, user: User, status_code: int = 200, **ctx: Any
) -> Any:
    clusters = [c.name for c in await resources.enabled_clusters(db)]
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    return render(
        request, "compute/cluster_logins.html", status_code,
        logins=await logins.logins_of(db, user), clusters=clusters, **ctx,
    )  # fmt: skip


@router.get("/cluster-logins")
async def my_logins_page(request: Request, db: DbSession, user: PageUser) -> Any:
    """One's logins on the clusters, their state, and the form to request one."""
    return await _mine(request, db, user)


@router.post("/cluster-logins")
async def request_login_form(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm
) -> Any:
    """Request one's login on a cluster (pending until staff approve it)."""
    values = {"cluster": str(form.get("cluster", "")), "login": str(form.get("login", "")).strip()}
    try:
        async with attempt(db):
            await logins.request_login(db, user, cluster=values["cluster"], login=values["login"])
    except AppError as exc:
        return await _mine(
            request, db, user, exc.status, errors={"login": said(request, exc)}, values=values
        )
    return redirect(
        request, "/cluster-logins", gettext(request, "Request sent: the staff will review it.")
    )


def _filters(request: Request) -> dict[str, str]:
    """The list's filters from the query string (unknown values are shown, not applied)."""
    query = request.query_params
    return {k: str(query.get(k, "")).strip() for k in ("cluster", "status", "q")}


async def _staff_page(
    request: Request, db: DbSession, user: User, status_code: int = 200, **ctx: Any
) -> Any:
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    shown = _filters(request)
    clusters = await resources.enabled_clusters(db)
    names = {c.name for c in clusters}
    states = {s.value for s in LoginStatus}
    listed, total = await logins.page_of_logins(
        db, user,
        status=shown["status"] if shown["status"] in states else None,
        cluster=shown["cluster"] if shown["cluster"] in names else None,
        search=shown["q"] or None, newest_first=True, limit=LISTED_MAX,
    )  # fmt: skip
    return render(
        request, "staff/cluster_logins.html", status_code,
        pending=await logins.list_logins(db, user, status=LoginStatus.PENDING.value),
        listed=listed, listed_total=total, filters=shown,
        clusters=[c.name for c in clusters],
        unchecked=[c.name for c in clusters if not logins.requires_unix_user(c)], **ctx,
    )  # fmt: skip


@router.get(STAFF_PAGE)
async def staff_logins_page(request: Request, db: DbSession, user: StaffPageUser) -> Any:
    """Manage cluster logins (admins): pending requests, map a login, every login filtered."""
    return await _staff_page(request, db, user)


@router.post(STAFF_PAGE)
async def map_login_form(
    request: Request, db: DbSession, user: StaffPageUser, form: CsrfForm
) -> Any:
    """Map a user's login on a cluster (approved at once), as `aifhub logins map` does."""
    values = {k: str(form.get(k, "")).strip() for k in ("user_email", "cluster", "login")}
    try:
        async with attempt(db):
            await logins.map_login(
                db, user, user_email=values["user_email"], cluster=values["cluster"],
                login=values["login"],
            )  # fmt: skip
    except AppError as exc:
        errors = {exc.field if exc.field in values else "login": said(request, exc)}
        return await _staff_page(request, db, user, exc.status, errors=errors, values=values)
    done = gettext(
        request, N_("Login '%(login)s' mapped for %(email)s on %(cluster)s."),
        login=values["login"], email=values["user_email"], cluster=values["cluster"],
    )  # fmt: skip
    return redirect(request, STAFF_PAGE, done)


@router.post(STAFF_PAGE + "/{login_id}/{action}")
async def decide_login_form(
    request: Request, db: DbSession, user: StaffPageUser, form: CsrfForm, login_id: Id, action: str
) -> Any:
    """Approve, reject or revoke a login from the staff page (a rejection or revocation says
    why)."""
    reason = str(form.get("reason", ""))
    if action not in ("approve", "reject", "revoke"):
        return redirect(request, STAFF_PAGE)
    try:
        async with attempt(db):
            if action == "revoke":
                await logins.revoke_login(db, user, login_id=login_id, reason=reason)
            else:
                await logins.decide_request(
                    db, user, login_id=login_id, approve=action == "approve", reason=reason
                )
    except AppError as exc:
        return await _staff_page(
            request, db, user, exc.status,
            errors={login_id: said(request, exc)}, values={f"reason-{login_id}": reason},
        )  # fmt: skip
    done = {
        "approve": N_("Login approved."),
        "reject": N_("Request rejected."),
        "revoke": N_("Login revoked."),
    }[action]
    return redirect(request, STAFF_PAGE, gettext(request, done))
