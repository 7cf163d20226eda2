"""Support pages: my tickets, the ticket form with article suggestions, a ticket, the desk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError
from aifhub.core.infra import get_infra
from aifhub.core.validation import Id
from aifhub.identity import CsrfForm, PageUser, list_projects
from aifhub.schemas import support as schemas
from aifhub.schemas.enums.support import Priority, TicketCategory
from aifhub.support import attachments, dashboard, experts, kb, tickets
from aifhub.support.api import max_attachment_bytes, sla_policy
from aifhub.web.forms import error_for, validate
from aifhub.web.render import gettext, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/support")
async def my_tickets(request: Request, db: DbSession, user: PageUser) -> Response:
    """The tickets I can see, with their SLA status."""
    rows, total = await tickets.list_tickets(db, user, limit=100, offset=0)
    items = [(t, slug, tickets.sla_status(t)) for t, slug in rows]
    return render(request, "support/tickets.html", items=items, total=total)


async def _form(request: Request, db: DbSession, user: PageUser, **ctx: object) -> Response:
    projects, _ = await list_projects(db, user, limit=200, offset=0)
    ctx.setdefault("values", {"priority": "normal", "category": "compute"})
    ctx.setdefault("errors", {})
    return render(
        request,
        "support/ticket_new.html",
        projects=[(p.slug, p.name) for p, _, role in projects if role],
        categories=[c.value for c in TicketCategory],
        priorities=[p.value for p in Priority],
        status_code=int(str(ctx.pop("status_code", 200))),
        **ctx,
    )


@router.get("/support/new")
async def new_ticket(request: Request, db: DbSession, user: PageUser) -> Response:
    """The ticket form; articles are suggested while one types. A link may fill in the
    project, title and category (`?project=...&title=...`: a project's page, an expert)."""
    values = {"priority": "normal", "category": "compute"}
    values.update(
        {
            k: v[:200]
            for k, v in request.query_params.items()
            if k in ("project", "title", "category") and v
        }
    )
    return await _form(request, db, user, values=values)


@router.get("/support/suggest")
async def suggest(
    request: Request, db: DbSession, user: PageUser, title: str = "", body: str = ""
) -> Response:
    """Knowledge-base articles matching the ticket being typed (an HTMX fragment)."""
    hits = await kb.search_articles(db, q=f"{title} {body}", limit=3)
    return render(request, "support/_suggestions.html", hits=hits)


@router.post("/support/new")
async def create_ticket(
    request: Request, db: DbSession, user: PageUser, form: CsrfForm
) -> Response:
    """Open a ticket from the form, with optional attachments."""
    values = {k: form.get(k) for k in ("project", "title", "body", "category", "priority")}
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    data, errors = validate(request, schemas.TicketCreate, values)
    if data is not None:
        try:
            async with attempt(db):
                checked = await attachments.check_uploads(
                    files, max_bytes=max_attachment_bytes(request)
                )
                t = await tickets.open_ticket(
                    db,
                    user,
                    project=data.project,
                    title=data.title,
                    body=data.body,
                    category=data.category.value,
                    priority=data.priority.value,
                    policy=sla_policy(request),
                    files=checked,
                    store=get_infra(request).store,
                )
        except AppError as exc:
            errors = error_for(exc)
        else:
            msg = gettext(request, "Ticket #%(id)s opened.", id=t.id)
            return redirect(request, f"/support/tickets/{t.id}", msg)
    return await _form(request, db, user, values=values, errors=errors, status_code=422)


async def _detail(
    request: Request,
    db: DbSession,
    user: PageUser,
    ticket_id: Id,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    t, msgs = await tickets.thread(db, user, ticket_id)
    member = await tickets.is_member(db, user, t.project_id)
    proposals = []
    if tickets.is_desk(user) and t.state in ("new", "assigned", "waiting_on_user"):
        proposals = await experts.propose_experts(db, user, t.id)
    return render(
        request,
        "support/ticket.html",
        status_code=status_code,
        t=t,
        msgs=msgs,
        sla=tickets.sla_status(t),
        moves=tickets.allowed_for(user, t, is_member=member),
        can_rate=member and t.state in ("resolved", "closed"),
        proposals=proposals,
        error=error,
    )


@router.get("/support/tickets/{ticket_id}")
async def ticket_page(request: Request, db: DbSession, user: PageUser, ticket_id: Id) -> Response:
    """A ticket, its thread and what I can do with it."""
    return await _detail(request, db, user, ticket_id)


async def _act(
    request: Request,
    db: DbSession,
    user: PageUser,
    ticket_id: Id,
    work: Callable[[], Awaitable[object]],
) -> Response:
    try:
        async with attempt(db):
            await work()
    except AppError as exc:
        return await _detail(request, db, user, ticket_id, exc.status, exc.detail)
    return redirect(request, f"/support/tickets/{ticket_id}", gettext(request, "Saved."))


@router.post("/support/tickets/{ticket_id}/reply")
async def reply(
    request: Request, db: DbSession, user: PageUser, ticket_id: Id, form: CsrfForm
) -> Response:
    """Add a message, with optional attachments."""
    body = str(form.get("body") or "").strip()
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]

    async def work() -> None:
        if not body:
            raise AppError("Write a message before sending.")
        await tickets.get_ticket(db, user, ticket_id)
        checked = await attachments.check_uploads(files, max_bytes=max_attachment_bytes(request))
        await tickets.post_message(
            db,
            user,
            ticket_id,
            body=body,
            files=checked,
            store=get_infra(request).store,
        )

    return await _act(request, db, user, ticket_id, work)


@router.post("/support/tickets/{ticket_id}/move")
async def move(
    request: Request, db: DbSession, user: PageUser, ticket_id: Id, form: CsrfForm
) -> Response:
    """Move the ticket to another state."""
    to = str(form.get("to") or "")
    return await _act(
        request, db, user, ticket_id, lambda: tickets.transition(db, user, ticket_id, to=to)
    )


@router.post("/support/tickets/{ticket_id}/assign")
async def assign(
    request: Request, db: DbSession, user: PageUser, ticket_id: Id, form: CsrfForm
) -> Response:
    """Assign the ticket to an expert (desk)."""
    expert_id = int(str(form.get("expert_id") or 0) or 0)
    return await _act(
        request,
        db,
        user,
        ticket_id,
        lambda: tickets.assign(db, user, ticket_id, expert_id=expert_id),
    )


@router.post("/support/tickets/{ticket_id}/rate")
async def rate(
    request: Request, db: DbSession, user: PageUser, ticket_id: Id, form: CsrfForm
) -> Response:
    """Rate the help received."""
    raw = str(form.get("rating") or "0")
    rating = int(raw) if raw.isdigit() else 0
    comment = str(form.get("comment") or "")[:2000]
    return await _act(
        request,
        db,
        user,
        ticket_id,
        lambda: tickets.rate(db, user, ticket_id, rating=rating, comment=comment),
    )


@router.get("/support/articles/{slug}")
async def article(request: Request, db: DbSession, user: PageUser, slug: str) -> Response:
    """A knowledge-base article."""
    return render(request, "support/article.html", a=await kb.get_article(db, user, slug))


@router.get("/support/desk")
async def desk(request: Request, db: DbSession, user: PageUser) -> Response:
    """The desk's dashboard: open tickets, breaches, load, median times."""
    d = await dashboard.desk_dashboard(db, user, policy=sla_policy(request))
    rows, _ = await tickets.list_tickets(db, user, limit=50, offset=0)
    open_rows = [
        (t, s, tickets.sla_status(t))
        for t, s in rows
        if t.state in ("new", "assigned", "waiting_on_user")
    ]
    return render(request, "support/desk.html", d=d, items=open_rows)
