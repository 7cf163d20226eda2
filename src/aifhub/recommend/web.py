"""Recommendation and search pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import support
from aifhub.core.db import DbSession
from aifhub.core.errors import AppError
from aifhub.core.modules import Card
from aifhub.identity import PageUser, list_projects
from aifhub.identity.models import User
from aifhub.recommend import service
from aifhub.recommend.candidates import Candidate
from aifhub.recommend.links import KIND_LABELS, ItemLinks, item_links
from aifhub.web.render import gettext, render

router = APIRouter(include_in_schema=False)


async def help_card(session: AsyncSession, user: User, request: Request) -> Card | None:
    """A dashboard card: my tickets and each project's recommendations."""
    rows, _ = await list_projects(session, user, limit=5, offset=0)
    mine = [(p.slug, p.name) for p, _, role in rows if role]
    _, n_tickets = await support.list_tickets(session, user, limit=1, offset=0, mine=True)
    if not mine and not n_tickets:
        return None
    return Card("recommend/card.html", {"projects": mine, "tickets": n_tickets}, 40)


def _links(
    request: Request, items: list[Candidate], project: str | None
) -> dict[tuple[str, str], ItemLinks]:
    """Each item's page and actions, keyed by (kind, id), labels in the page's language."""

    def translate(message: str) -> str:
        return gettext(request, message)

    return {
        (c.kind, c.id): item_links(
            c.kind,
            c.id,
            c.title,
            project,
            translate,
            open_access=c.meta.get("access_policy") == "open",
        )  # fmt: skip
        for c in items
    }


@router.get("/projects/{slug}/recommendations")
async def recommendations_page(
    request: Request, db: DbSession, user: PageUser, slug: str
) -> Response:
    """What the factory proposes to a project, and why."""
    rec = await service.recommend_for_project(db, user, slug)
    items = [r.candidate for rs in rec.groups.values() for r in rs]
    return render(
        request,
        "recommend/recommendations.html",
        rec=rec,
        links=_links(request, items, rec.profile.slug),
        kind_labels=KIND_LABELS,
    )


@router.get("/search")
async def search_page(request: Request, db: DbSession, user: PageUser, q: str = "") -> Response:
    """One search box across experts, courses, partners, articles (and the catalogue)."""
    groups, error = {}, None
    if q:
        try:
            groups = await service.search_all(db, user, q=q)
        except AppError as exc:
            error = exc.detail
    items = [c for hits in groups.values() for c, _, _ in hits]
    return render(
        request,
        "recommend/search.html",
        q=q,
        groups=groups,
        error=error,
        links=_links(request, items, None),
        kind_labels=KIND_LABELS,
    )
