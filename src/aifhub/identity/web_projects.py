"""Project pages: list, create, detail with members and project roles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError
from aifhub.core.modules import Section
from aifhub.core.pagination import Pagination
from aifhub.core.validation import Id
from aifhub.identity import projects as project_service
from aifhub.identity import service
from aifhub.identity.models import User
from aifhub.identity.page_deps import CsrfForm, PageUser
from aifhub.identity.web_common import (
    PROJECT_ROLES,
    SECTORS,
    choices,
    is_htmx,
    page,
    refused,
    refused_message,
)
from aifhub.schemas import identity as schemas
from aifhub.schemas.enums.identity import ProjectRole, StaffRole
from aifhub.web.forms import form_values, validate
from aifhub.web.render import gettext, redirect

router = APIRouter(include_in_schema=False)


@router.get("/projects")
async def projects(
    request: Request, db: DbSession, user: PageUser, pg: Pagination, organisation: str = ""
) -> Response:
    """The projects I can see, with my role in each."""
    rows, total = await project_service.list_projects(
        db, user, limit=pg.limit, offset=pg.offset, organisation=organisation or None
    )
    return page(
        request,
        "identity/projects.html",
        rows=rows,
        organisation=organisation,
        pg={"total": total, "limit": pg.limit, "offset": pg.offset},
    )


async def _form_ctx(request: Request, db: DbSession, user: User, **ctx: Any) -> dict[str, Any]:
    orgs, _ = await service.list_orgs(db, user, limit=500, offset=0)
    mine = [(o.slug, o.name) for o, role in orgs if role]
    ctx.setdefault("values", {"organisation": request.query_params.get("organisation", "")})
    ctx.setdefault("errors", {})
    return {"my_orgs": mine, "sector_choices": choices(request, SECTORS), **ctx}


@router.get("/projects/new")
async def new_project(request: Request, db: DbSession, user: PageUser) -> Response:
    """The form to open a project."""
    return page(request, "identity/project_new.html", **await _form_ctx(request, db, user))


@router.post("/projects/new")
async def create_project(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm
) -> Response:
    """Open a project in one of my organisations; I become its PI."""
    values = form_values(form)
    data, errors = validate(request, schemas.ProjectCreate, values)
    if data is not None:
        try:
            async with attempt(db):
                project = await project_service.create_project(db, user, data=data)
        except AppError as exc:
            errors = refused(exc)
        else:
            msg = gettext(request, "Project %(name)s created.", name=project.name)
            return redirect(request, f"/projects/{project.slug}", msg)
    ctx = await _form_ctx(request, db, user, values=values, errors=errors)
    return page(request, "identity/project_new.html", 422, **ctx)


async def _sections(request: Request, db: DbSession, user: User, project: Any) -> list[Section]:
    """The parts other domains add to the project's page (allocations, jobs, data...), in order.

    Identity is the lowest layer: it names no domain above it; each one registers a provider
    in its module (`DomainModule.project_sections`)."""
    out = []
    for provider in request.app.state.assembly.project_sections:
        section = await provider(db, user, project)
        if section is not None:
            out.append(section)
    return sorted(out, key=lambda s: s.order)


async def _detail(
    request: Request, db: DbSession, user: User, slug: str, status: int = 200, **ctx: Any
) -> Response:
    project = await project_service.get_project(db, user, slug)
    my_role = await project_service.project_role(db, user, project.id)
    org_role = await service.org_role(db, user, project.org_id)
    manager = (
        my_role in project_service.PROJECT_MANAGERS
        or org_role in service.ORG_MANAGERS
        or user.has_role(StaffRole.ADMIN)
    )
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    return page(
        request,
        "identity/project_detail.html",
        status,
        project=project,
        org=project.org,
        my_role=my_role,
        manager=manager,
        members=await project_service.list_project_members(db, user, slug),
        role_choices=choices(request, PROJECT_ROLES),
        sections=await _sections(request, db, user, project),
        **ctx,
    )


@router.get("/projects/{slug}")
async def project(request: Request, db: DbSession, user: PageUser, slug: str) -> Response:
    """A project's hub: details, members, and each domain's part (allocations, jobs, usage,
    data requests, tickets, recommendations), each one click away."""
    return await _detail(request, db, user, slug)


@router.post("/projects/{slug}/members")
async def add_member(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, slug: str
) -> Response:
    """Add a member of the project's organisation to the project."""
    values = form_values(form)
    data, errors = validate(request, schemas.ProjectMemberAdd, values)
    if data is not None:
        try:
            async with attempt(db):
                await project_service.add_project_member(
                    db, user, slug, email=data.email, role=data.role
                )
        except AppError as exc:
            errors = refused(exc)
        else:
            msg = gettext(request, "%(email)s added.", email=data.email)
            return redirect(request, f"/projects/{slug}", msg)
    return await _detail(request, db, user, slug, 422, errors=errors, values=values)


async def _row(
    request: Request, db: DbSession, user: User, slug: str, user_id: Id, status: int, error: str
) -> Response:
    project = await project_service.get_project(db, user, slug)
    members = await project_service.list_project_members(db, user, slug)
    rows = [(m, u) for m, u in members if u.id == user_id]
    return page(
        request,
        "identity/_project_member_row.html",
        status,
        project=project,
        row=rows[0] if rows else None,
        manager=True,
        role_choices=choices(request, PROJECT_ROLES),
        row_error=error,
    )


@router.post("/projects/{slug}/members/{user_id}/role")
async def change_role(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, slug: str, user_id: Id
) -> Response:
    """Change a member's project role; the last PI is kept (HTMX swaps the row)."""
    role = str(form.get("role") or "")
    if role not in set(ProjectRole):
        error = gettext(request, "Choose one of the proposed values.")
    else:
        try:
            async with attempt(db):
                await project_service.change_project_member_role(
                    db, user, slug, user_id=user_id, role=role
                )
        except AppError as exc:
            error = refused_message(exc)
        else:
            if is_htmx(request):
                return await _row(request, db, user, slug, user_id, 200, "")
            return redirect(request, f"/projects/{slug}", gettext(request, "Role changed."))
    if is_htmx(request):
        return await _row(request, db, user, slug, user_id, 422, error)
    return await _detail(request, db, user, slug, 422, errors={"members": error})


@router.post("/projects/{slug}/members/{user_id}/remove")
async def remove_member(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm, slug: str, user_id: Id
) -> Response:
    """Remove a member (or leave); never the last PI."""
    try:
        async with attempt(db):
            await project_service.remove_project_member(db, user, slug, user_id=user_id)
    except AppError as exc:
        error = refused_message(exc)
        return await _detail(request, db, user, slug, 422, errors={"members": error})
    if user_id == user.id:
        return redirect(request, "/projects", gettext(request, "You left the project."))
    return redirect(request, f"/projects/{slug}", gettext(request, "Member removed."))
