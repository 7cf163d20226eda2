"""Support REST endpoints under /api/v1: experts, tickets, knowledge base, dashboard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from fastapi.responses import FileResponse

from aifhub import identity
from aifhub.core.db import DbSession
from aifhub.core.infra import Infra, get_infra
from aifhub.core.openapi import file_responses
from aifhub.core.pagination import Pagination
from aifhub.core.validation import Id
from aifhub.identity import CurrentUser
from aifhub.identity.models import User
from aifhub.schemas import support as schemas
from aifhub.schemas.enums.support import TicketState
from aifhub.schemas.page import Page
from aifhub.support import attachments, dashboard, experts, kb, taxonomy, tickets
from aifhub.support.models import Ticket
from aifhub.support.sla import SlaPolicy, policy_from_site

router = APIRouter(tags=["support"])


def _section(request: Request) -> dict[str, Any]:
    return get_infra(request).site.section("support") or {}


def sla_policy(request: Request) -> SlaPolicy:
    """The site's SLA policy."""
    return policy_from_site(_section(request))


def max_attachment_bytes(request: Request) -> int:
    """The attachment size limit of the site (10 MiB by default)."""
    mb = _section(request).get("attachment_max_mb")
    return int(float(mb) * 1024 * 1024) if mb else attachments.DEFAULT_MAX_BYTES


async def ticket_read(
    db: DbSession, user: User, t: Ticket, project_slug: str | None = None
) -> schemas.TicketRead:
    """The read model of a ticket, with its SLA status and the moves open to this user."""
    if project_slug is None:
        project_slug = await identity.project_slug(db, t.project_id)
    member = await tickets.is_member(db, user, t.project_id)
    sla = tickets.sla_status(t)
    return schemas.TicketRead(
        id=t.id,
        project=project_slug or "",
        title=t.title,
        category=t.category,
        priority=t.priority,
        state=t.state,
        requester_id=t.requester_id,
        assignee_id=t.assignee_id,
        created_at=t.created_at,
        updated_at=t.updated_at,
        first_response_at=t.first_response_at,
        resolved_at=t.resolved_at,
        closed_at=t.closed_at,
        rating=t.rating,
        sla=schemas.SlaRead(**sla.__dict__),
        allowed_transitions=tickets.allowed_for(user, t, is_member=member),
    )


def _expert(p: Any, u: User, n: int) -> schemas.ExpertRead:
    return schemas.ExpertRead(
        user_id=u.id,
        name=u.name,
        email=u.email,
        headline=p.headline,
        bio=p.bio,
        skills=p.skills,
        sectors=p.sectors,
        languages=p.languages,
        capacity=p.capacity,
        available=p.available,
        open_tickets=n,
    )


@router.get("/support/skills")
async def list_skills(user: CurrentUser) -> list[schemas.SkillRead]:
    """The skills taxonomy experts describe themselves with."""
    return [
        schemas.SkillRead(key=s.key, label=s.label, categories=list(s.categories))
        for s in taxonomy.skills().values()
    ]


@router.get("/support/experts")
async def list_experts(
    db: DbSession, user: CurrentUser, skill: str | None = None
) -> list[schemas.ExpertRead]:
    """The experts' directory with their current load."""
    return [_expert(p, u, n) for p, u, n in await experts.list_experts(db, skill=skill)]


@router.put("/support/experts/{user_id}")
async def put_expert_profile(
    db: DbSession, user: CurrentUser, user_id: Id, body: schemas.ExpertProfileUpdate
) -> schemas.ExpertRead:
    """Create or replace an expert's profile (the expert, or the support desk)."""
    await experts.upsert_profile(db, user, user_id, data=body)
    return _expert(*await experts.get_expert(db, user_id))


@router.get("/support/dashboard")
async def read_dashboard(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    window_days: Annotated[int, Query(ge=1, le=3650, description="Days looked back")] = 90,
) -> schemas.DashboardRead:
    """Open tickets, SLA breaches, load per expert and median times (support desk)."""
    d = await dashboard.desk_dashboard(
        db, user, policy=sla_policy(request), window_days=window_days
    )
    return schemas.DashboardRead(
        by_state=d.by_state,
        open_tickets=d.open_tickets,
        first_response_breaches=d.first_response_breaches,
        resolution_breaches=d.resolution_breaches,
        load=[
            schemas.ExpertLoad(expert_id=i, name=n, open_tickets=o, capacity=c)
            for i, n, o, c in d.load
        ],
        median_first_response_working_hours=d.median_first_response_h,
        median_resolution_working_hours=d.median_resolution_h,
        window_days=d.window_days,
    )


@router.post("/tickets", status_code=status.HTTP_201_CREATED)
async def open_ticket(
    request: Request, db: DbSession, user: CurrentUser, body: schemas.TicketCreate
) -> schemas.TicketRead:
    """Open a ticket on one of one's projects."""
    t = await tickets.open_ticket(
        db,
        user,
        project=body.project,
        title=body.title,
        body=body.body,
        category=body.category.value,
        priority=body.priority.value,
        policy=sla_policy(request),
    )
    return await ticket_read(db, user, t, body.project)


@router.get("/tickets")
async def list_tickets(
    db: DbSession,
    user: CurrentUser,
    page: Pagination,
    state: TicketState | None = None,
    project: str | None = None,
    mine: bool = False,
) -> Page[schemas.TicketRead]:
    """Tickets one can see, newest first."""
    rows, total = await tickets.list_tickets(
        db,
        user,
        limit=page.limit,
        offset=page.offset,
        state=state.value if state else None,
        project=project,
        mine=mine,
    )
    items = [await ticket_read(db, user, t, slug) for t, slug in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/tickets/{ticket_id}")
async def read_ticket(db: DbSession, user: CurrentUser, ticket_id: Id) -> schemas.TicketDetail:
    """A ticket with its thread."""
    t, msgs = await tickets.thread(db, user, ticket_id)
    base = await ticket_read(db, user, t)
    return schemas.TicketDetail(
        **base.model_dump(),
        messages=[
            schemas.MessageRead(
                id=m.id,
                author_id=m.author_id,
                author_name=name,
                body=m.body,
                created_at=m.created_at,
                attachments=[schemas.AttachmentRead.model_validate(a) for a in files],
            )
            for m, name, files in msgs
        ],
    )


@router.post("/tickets/{ticket_id}/messages", status_code=status.HTTP_201_CREATED)
async def post_message(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    ticket_id: Id,
    body: Annotated[str, Form(min_length=1, max_length=20_000)],
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> schemas.MessageRead:
    """Add a message (multipart: `body`, optional `files`) to a ticket's thread."""
    await tickets.get_ticket(db, user, ticket_id)  # 404 before reading any upload
    checked = await attachments.check_uploads(
        list(files or []), max_bytes=max_attachment_bytes(request)
    )
    m = await tickets.post_message(
        db,
        user,
        ticket_id,
        body=body,
        files=checked,
        store=get_infra(request).store,
    )
    found = await attachments.of_message(db, m.id)
    return schemas.MessageRead(
        id=m.id,
        author_id=user.id,
        author_name=user.name,
        body=m.body,
        created_at=m.created_at,
        attachments=[schemas.AttachmentRead.model_validate(a) for a in found],
    )


@router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}",
    response_class=FileResponse,
    responses=file_responses("The attachment's bytes, with its own content type"),
)
async def download_attachment(
    db: DbSession, user: CurrentUser, infra: Infra, ticket_id: Id, attachment_id: Id
) -> FileResponse:
    """Download an attachment of a visible ticket."""
    t = await tickets.get_ticket(db, user, ticket_id)
    a = await attachments.on_ticket(db, t, attachment_id)
    return FileResponse(
        attachments.file_of(infra.store, a),
        media_type=a.content_type,
        filename=a.filename,
        headers={"X-Content-Type-Options": "nosniff"},
    )


@router.post("/tickets/{ticket_id}/transition")
async def transition(
    db: DbSession, user: CurrentUser, ticket_id: Id, body: schemas.TransitionIn
) -> schemas.TicketRead:
    """Move a ticket to another state (409 names the allowed moves)."""
    return await ticket_read(db, user, await tickets.transition(db, user, ticket_id, to=body.to))


@router.post("/tickets/{ticket_id}/assign")
async def assign(
    db: DbSession, user: CurrentUser, ticket_id: Id, body: schemas.AssignIn
) -> schemas.TicketRead:
    """Assign a ticket to an expert (support desk)."""
    t = await tickets.assign(
        db,
        user,
        ticket_id,
        expert_id=body.expert_id,
        allow_over_capacity=body.allow_over_capacity,
    )
    return await ticket_read(db, user, t)


@router.get("/tickets/{ticket_id}/proposals")
async def proposals(db: DbSession, user: CurrentUser, ticket_id: Id) -> list[schemas.ProposalRead]:
    """The best-matching available experts for a ticket, with reasons (support desk)."""
    return [
        schemas.ProposalRead(
            expert_id=p.expert.id,
            name=p.expert.name,
            score=p.score,
            load=p.load,
            capacity=p.profile.capacity,
            reasons=p.reasons,
        )
        for p in await experts.propose_experts(db, user, ticket_id)
    ]


@router.post("/tickets/{ticket_id}/rating")
async def rate(
    db: DbSession, user: CurrentUser, ticket_id: Id, body: schemas.RatingIn
) -> schemas.TicketRead:
    """Rate the help received (1-5) once the ticket is resolved."""
    t = await tickets.rate(db, user, ticket_id, rating=body.rating, comment=body.comment)
    return await ticket_read(db, user, t)


@router.get("/kb/articles")
async def list_articles(db: DbSession, user: CurrentUser) -> list[schemas.ArticleRead]:
    """Knowledge-base articles."""
    return [schemas.ArticleRead.model_validate(a) for a in await kb.list_articles(db, user)]


@router.post("/kb/articles", status_code=status.HTTP_201_CREATED)
async def create_article(
    db: DbSession, user: CurrentUser, body: schemas.ArticleCreate
) -> schemas.ArticleRead:
    """Write an article (support desk)."""
    return schemas.ArticleRead.model_validate(await kb.create_article(db, user, data=body))


@router.get("/kb/search")
async def search_articles(db: DbSession, user: CurrentUser, q: str) -> list[schemas.ArticleHit]:
    """Articles matching what the user types (what the ticket form suggests)."""
    return [
        schemas.ArticleHit(slug=a.slug, title=a.title, score=s, excerpt=a.body[:200])
        for a, s in await kb.search_articles(db, q=q)
    ]


@router.get("/kb/articles/{slug}")
async def read_article(db: DbSession, user: CurrentUser, slug: str) -> schemas.ArticleRead:
    """One article."""
    return schemas.ArticleRead.model_validate(await kb.get_article(db, user, slug))


@router.patch("/kb/articles/{slug}")
async def update_article(
    db: DbSession, user: CurrentUser, slug: str, body: schemas.ArticleUpdate
) -> schemas.ArticleRead:
    """Change an article (support desk)."""
    return schemas.ArticleRead.model_validate(await kb.update_article(db, user, slug, data=body))
