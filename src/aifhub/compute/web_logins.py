"""Cluster login pages: a user's logins and requests; the staff's queue of pending requests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from aifhub import resources
from aifhub.compute import logins
from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError
from aifhub.core.i18n import N_
from aifhub.core.validation import Id
from aifhub.identity import CsrfForm, PageUser, StaffPageUser
from aifhub.identity.models import User
from aifhub.web.render import gettext, redirect, render

router = APIRouter(include_in_schema=False)


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
            request, db, user, exc.status, errors={"login": exc.detail}, values=values
        )
    return redirect(
        request, "/cluster-logins", gettext(request, "Request sent: the staff will review it.")
    )


async def _queue(
    request: Request, db: DbSession, user: User, status_code: int = 200, **ctx: Any
) -> Any:
    ctx.setdefault("errors", {})
    return render(
        request, "staff/cluster_logins.html", status_code,
        pending=await logins.list_logins(db, user, status="pending"),
        approved=await logins.list_logins(db, user, status="approved"), **ctx,
    )  # fmt: skip


@router.get("/staff/cluster-logins")
async def staff_logins_page(request: Request, db: DbSession, user: StaffPageUser) -> Any:
    """Pending login requests to approve or reject, and the approved logins (admins)."""
    return await _queue(request, db, user)


@router.post("/staff/cluster-logins/{login_id}/{action}")
async def decide_login_form(
    request: Request, db: DbSession, user: StaffPageUser, form: CsrfForm, login_id: Id, action: str
) -> Any:
    """Approve, reject or revoke a login from the staff page (a rejection says why)."""
    reason = str(form.get("reason", ""))
    if action not in ("approve", "reject", "revoke"):
        return redirect(request, "/staff/cluster-logins")
    try:
        async with attempt(db):
            if action == "revoke":
                await logins.revoke_login(db, user, login_id=login_id, reason=reason)
            else:
                await logins.decide_request(
                    db, user, login_id=login_id, approve=action == "approve", reason=reason
                )
    except AppError as exc:
        return await _queue(request, db, user, exc.status, errors={login_id: exc.detail})
    done = {
        "approve": N_("Login approved."),
        "reject": N_("Request rejected."),
        "revoke": N_("Login revoked."),
    }[action]
    return redirect(request, "/staff/cluster-logins", gettext(request, done))
