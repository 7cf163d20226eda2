"""Staff pages: the audit log browser and the users with their staff roles."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aifhub.core import audit
from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError, PermissionDenied
from aifhub.core.pagination import Pagination
from aifhub.core.validation import Id
from aifhub.identity import service
from aifhub.identity.models import User
from aifhub.identity.page_deps import CsrfForm, StaffPageUser
from aifhub.identity.web_common import STAFF_ROLES, choices, page, refused_message
from aifhub.schemas.enums.identity import StaffRole
from aifhub.web.render import gettext, redirect

router = APIRouter(include_in_schema=False)


@router.get("/staff/audit")
async def audit_log(
    request: Request,
    db: DbSession,
    user: StaffPageUser,
    pg: Pagination,
    action: str = "",
    object_type: str = "",
    actor_id: str = "",
) -> Response:
    """The audit log, newest first, with filters (staff)."""
    actor = int(actor_id) if actor_id.strip().isdigit() else None
    events, total = await audit.list_events(
        db,
        limit=pg.limit,
        offset=pg.offset,
        action=action.strip() or None,
        object_type=object_type.strip() or None,
        actor_id=actor,
    )
    filters = {"action": action, "object_type": object_type, "actor_id": actor_id}
    query = urlencode({k: v for k, v in filters.items() if v})
    return page(
        request,
        "staff/audit.html",
        events=events,
        filters=filters,
        base_url="/staff/audit" + (f"?{query}" if query else ""),
        pg={"total": total, "limit": pg.limit, "offset": pg.offset},
    )


def _require_admin(user: User) -> None:
    if not user.has_role(StaffRole.ADMIN):
        raise PermissionDenied("Only staff admins manage users and staff roles.")


async def _users(
    request: Request, db: DbSession, user: User, pg: Any, q: str, status: int = 200, **ctx: Any
) -> Response:
    rows, total = await service.list_users(db, user, limit=pg.limit, offset=pg.offset, q=q or None)
    ctx.setdefault("errors", {})
    return page(
        request,
        "staff/users.html",
        status,
        users=rows,
        q=q,
        role_choices=choices(request, STAFF_ROLES),
        base_url="/staff/users" + (f"?{urlencode({'q': q})}" if q else ""),
        pg={"total": total, "limit": pg.limit, "offset": pg.offset},
        **ctx,
    )


@router.get("/staff/users")
async def users(
    request: Request, db: DbSession, user: StaffPageUser, pg: Pagination, q: str = ""
) -> Response:
    """All users and their staff roles (staff admins)."""
    _require_admin(user)
    return await _users(request, db, user, pg, q)


@router.post("/staff/users/{user_id}/roles")
async def set_roles(
    request: Request,
    db: DbSession,
    user: StaffPageUser,
    form: CsrfForm,
    pg: Pagination,
    user_id: Id,
) -> Response:
    """Replace a user's staff roles (staff admins); the last admin is kept."""
    _require_admin(user)
    roles = [r for r in form.getlist("roles") if isinstance(r, str)]
    if any(r not in set(StaffRole) for r in roles):
        error = gettext(request, "Choose one of the proposed values.")
        return await _users(request, db, user, pg, "", 422, errors={user_id: error})
    try:
        async with attempt(db):
            await service.set_staff_roles(db, user, user_id=user_id, roles=roles)
    except AppError as exc:
        error = refused_message(exc)
        return await _users(request, db, user, pg, "", 422, errors={user_id: error})
    return redirect(request, "/staff/users", gettext(request, "Staff roles saved."))
