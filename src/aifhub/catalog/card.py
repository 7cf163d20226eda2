"""The dashboard card of those who decide on access requests: how many wait for them."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog.contracts import count_pending
from aifhub.core.modules import Card
from aifhub.identity.models import User


async def requests_card(session: AsyncSession, user: User, request: Request) -> Card | None:
    """Shown only to someone with access requests waiting for their decision."""
    waiting = await count_pending(session, user)
    if not waiting:
        return None
    return Card("catalog/card.html", {"waiting": waiting}, order=40)
