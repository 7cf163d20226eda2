"""Support endpoints of the SDK: tickets, experts, knowledge base."""

from __future__ import annotations

import builtins
import mimetypes
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from aifhub.client.base import Resource
from aifhub.client.errors import ClientError
from aifhub.schemas.page import Page
from aifhub.schemas.support import (
    ArticleHit,
    ArticleRead,
    ExpertRead,
    MessageRead,
    ProposalRead,
    TicketDetail,
    TicketRead,
)


class Tickets(Resource):
    """`client.tickets`: open, follow and answer support tickets."""

    def list(
        self,
        *,
        state: str | None = None,
        project: str | None = None,
        mine: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[TicketRead]:
        """One page of the tickets one can see, newest first."""
        params = {
            "state": state,
            "project": project,
            "mine": "true" if mine else None,
            "limit": limit,
            "offset": offset,
        }
        return self._call("GET", "/tickets", Page[TicketRead], params=params)

    def iter(self, *, page_size: int = 200, **filters: Any) -> Iterator[TicketRead]:
        """Every visible ticket across pages."""
        return self._client.paginate(
            lambda limit, offset: self.list(limit=limit, offset=offset, **filters),
            page_size=page_size,
        )

    def get(self, ticket_id: int) -> TicketDetail:
        """A ticket with its thread."""
        return self._call("GET", f"/tickets/{ticket_id}", TicketDetail)

    def open(
        self,
        *,
        project: str,
        title: str,
        body: str,
        category: str = "other",
        priority: str = "normal",
    ) -> TicketRead:
        """Open a ticket on one of one's projects."""
        data = {
            "project": project,
            "title": title,
            "body": body,
            "category": category,
            "priority": priority,
        }
        return self._call("POST", "/tickets", TicketRead, json=data)

    def post_message(
        self, ticket_id: int, body: str, *, attachments: Iterable[Path | str] = ()
    ) -> MessageRead:
        """Add a message, with optional files attached, to a ticket's thread."""
        files = []
        for item in attachments:
            path = Path(item)
            if not path.is_file():
                raise ClientError(f"No file {path} to attach.")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            files.append(("files", (path.name, path.read_bytes(), kind)))
        path_ = f"/tickets/{ticket_id}/messages"
        return self._call("POST", path_, MessageRead, data={"body": body}, files=files or None)

    def transition(self, ticket_id: int, to: str) -> TicketRead:
        """Move a ticket to another state (a 409 names the allowed moves)."""
        return self._call("POST", f"/tickets/{ticket_id}/transition", TicketRead, json={"to": to})

    def assign(
        self, ticket_id: int, expert: int | str, *, allow_over_capacity: bool = False
    ) -> TicketRead:
        """Support desk: assign a ticket to an expert (user id or e-mail)."""
        expert_id = expert if isinstance(expert, int) else self._expert_id(expert)
        data = {"expert_id": expert_id, "allow_over_capacity": allow_over_capacity}
        return self._call("POST", f"/tickets/{ticket_id}/assign", TicketRead, json=data)

    def _expert_id(self, email: str) -> int:
        for e in Experts(self._client).list():
            if e.email.lower() == email.lower():
                return e.user_id
        raise ClientError(f"{email} is not in the experts' directory; see `aifhub experts`.")

    def rate(self, ticket_id: int, rating: int, comment: str = "") -> TicketRead:
        """Rate the help received (1-5) once the ticket is resolved."""
        data = {"rating": rating, "comment": comment}
        return self._call("POST", f"/tickets/{ticket_id}/rating", TicketRead, json=data)

    def proposals(self, ticket_id: int) -> builtins.list[ProposalRead]:
        """Support desk: the best-matching available experts, with reasons."""
        return self._call("GET", f"/tickets/{ticket_id}/proposals", list[ProposalRead])


class Experts(Resource):
    """`client.experts`: the experts' directory."""

    def list(self, *, skill: str | None = None) -> list[ExpertRead]:
        """Experts with their skills and current load."""
        return self._call("GET", "/support/experts", list[ExpertRead], params={"skill": skill})


class KnowledgeBase(Resource):
    """`client.kb`: knowledge-base articles."""

    def search(self, q: str) -> list[ArticleHit]:
        """Articles matching the words typed, best first."""
        return self._call("GET", "/kb/search", list[ArticleHit], params={"q": q})

    def list(self) -> list[ArticleRead]:
        """Every article one can read."""
        return self._call("GET", "/kb/articles", list[ArticleRead])

    def get(self, slug: str) -> ArticleRead:
        """One article."""
        return self._call("GET", f"/kb/articles/{slug}", ArticleRead)
