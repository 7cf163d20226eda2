"""Dashboard cards: a list of providers every domain can append to (see docs/web.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.identity.models import User


@dataclass
class Card:
    """A dashboard card: a template (extending nothing) rendered with `context`."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


# A provider returns its card for this user, or None to show nothing.
CardProvider = Callable[[AsyncSession, User, Request], Awaitable[Card | None]]

DASHBOARD_CARDS: list[CardProvider] = []


async def dashboard_cards(session: AsyncSession, user: User, request: Request) -> list[Card]:
    """The cards of every provider for this user, in order (providers only read)."""
    cards = []
    for provider in list(DASHBOARD_CARDS):
        card = await provider(session, user, request)
        if card is not None:
            cards.append(card)
    return sorted(cards, key=lambda c: c.order)
