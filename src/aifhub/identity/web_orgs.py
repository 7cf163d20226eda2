"""Organisation pages: list, create, detail with members, roles and invitations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError
from aifhub.core.pagination import Pagination
from aifhub.core.validation import Id
from aifhub.identity import projects as project_service
from aifhub.identity import service
from aifhub.identity.models import User
from aifhub.identity.page_deps import CsrfForm, PageUser
from aifhub.identity.web_common import (
    ORG_KINDS,
    ORG_ROLES,
    SECTORS,
    choices,
    countries,
    is_htmx,
    page,
    refused,
    refused_message,
)
from aifhub.schemas import identity as schemas
from aifhub.schemas.enums.identity import OrgRole, StaffRole
from aifhub.web.forms import form_values, validate
from aifhub.web.render import gettext, redirect

router = APIRouter(include_in_schema=False)


@router.get("/organisations")
async def organisations(
    request: Request, db: DbSession, user: PageUser, pg: Pagination
) -> Response:
    """The organisations I belong to (all of them for staff)."""
    rows, total = await service.list_orgs(db, user, limit=pg.limit, offset=pg.offset)
    return page(
        request,
        "identity/organisations.html",
        rows=rows,
        pg={"total": total, "limit": pg.limit, "offset": pg.offset},
    )


def _form_ctx(request: Request, **ctx: Any) -> dict[str, Any]:
    ctx.setdefault("values", {"country": "FR", "kind": "startup", "sectors": []})
    ctx.setdefault("errors", {})
    return {
        "kinds": choices(request, ORG_KINDS),
        "sector_choices": choices(request, SECTORS),
        "countries": countries(request),
        **ctx,
    }


@router.get("/organisations/new")
async def new_organisation(request: Request, user: PageUser) -> Response:
    """The form to create an organisation."""
    return page(request, "identity/org_new.html", **_form_ctx(request))


@router.post("/organisations/new")
async def create_organisation(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm
) -> Response:
    """Create an organisation; I become its owner."""
    values = form_values(form, "sectors")
    data, errors = validate(request, schemas.OrganisationCreate, values)
    if data is not None:
        try:
            async with attempt(db):
                org = await service.create_org(db, user, data=data)
        except AppError as exc:
            errors = refused(exc)
        else:
            msg = gettext(request, "Organisation %(name)s created.", name=org.name)
            return redirect(request, f"/organisations/{org.slug}", msg)
    ctx = _form_ctx(request, values=values, errors=errors)
    return page(request, "identity/org_new.html", 422, **ctx)


async def _detail(
    request: Request, db: DbSession, user: User, slug: str, status: int = 200, **ctx: Any
) -> Response:
    org = await service.get_org(db, user, slug)
    my_role = await service.org_role(db, user, org.id)
    manager = my_role in service.ORG_MANAGERS or user.has_role(StaffRole.ADMIN)
    projects, _ = await project_service.list_projects(
        db, user, limit=100, offset=0, organisation=org.slug
    )
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    return page(
        request,
        "identity/org_detail.html",
        status,
        org=org,
        my_role=my_role,
        manager=manager,
        members=await service.list_org_members(db, user, slug),
        projects=projects,
        role_choices=choices(request, ORG_ROLES),
        **ctx,
    )


@router.get("/organisations/{slug}")
async def organisation(request: Request, db: DbSession, user: PageUser, slug: str) -> Response:
    """An organisation: details, members, projects, invitations."""
    return await _detail(request, db, user, slug)


@router.post("/organisations/{slug}/invite")
async def invite(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, slug: str
) -> Response:
    """Invite an e-mail address into the organisation (the only way in: the invitee accepts)."""
    values = form_values(form)
    data, errors = validate(request, schemas.InvitationCreate, values)
    if data is not None:
        try:
            async with attempt(db):
                await service.invite(db, user, slug, email=data.email, role=data.role.value)
        except AppError as exc:
            errors = refused(exc)
        else:
            msg = gettext(request, "Invitation sent to %(email)s.", email=data.email)
            return redirect(request, f"/organisations/{slug}", msg)
    errors = {f"invite_{k}": v for k, v in errors.items()}
    values = {f"invite_{k}": v for k, v in values.items()}
    return await _detail(request, db, user, slug, 422, errors=errors, values=values)


async def _member_row(
    request: Request, db: DbSession, user: User, slug: str, user_id: Id, status: int, error: str
) -> Response:
    org = await service.get_org(db, user, slug)
    rows = [(m, u) for m, u in await service.list_org_members(db, user, slug) if u.id == user_id]
    return page(
        request,
        "identity/_org_member_row.html",
        status,
        org=org,
        row=rows[0] if rows else None,
        manager=True,
        role_choices=choices(request, ORG_ROLES),
        row_error=error,
    )


@router.post("/organisations/{slug}/members/{user_id}/role")
async def change_role(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, slug: str, user_id: Id
) -> Response:
    """Change a member's role (HTMX swaps the row; without JS the page reloads)."""
    role = str(form.get("role") or "")
    if role not in set(OrgRole):
        error = gettext(request, "Choose one of the proposed values.")
    else:
        try:
            async with attempt(db):
                await service.change_org_member_role(db, user, slug, user_id=user_id, role=role)
        except AppError as exc:
            error = refused_message(exc)
        else:
            if is_htmx(request):
                return await _member_row(request, db, user, slug, user_id, 200, "")
            return redirect(request, f"/organisations/{slug}", gettext(request, "Role changed."))
    if is_htmx(request):
        return await _member_row(request, db, user, slug, user_id, 422, error)
    return await _detail(request, db, user, slug, 422, errors={"members": error})


@router.post("/organisations/{slug}/members/{user_id}/remove")
async def remove_member(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, slug: str, user_id: Id
) -> Response:
    """Remove a member (or leave, for oneself)."""
    try:
        async with attempt(db):
            await service.remove_org_member(db, user, slug, user_id=user_id)
    except AppError as exc:
        error = refused_message(exc)
        return await _detail(request, db, user, slug, 422, errors={"members": error})
    if user_id == user.id:
        return redirect(request, "/organisations", gettext(request, "You left the organisation."))
    return redirect(request, f"/organisations/{slug}", gettext(request, "Member removed."))
