"""Dashboard cards: the cards of the domains' providers for one user (see docs/web.md).

The providers are declared by each domain's module object (`Card`, `CardProvider` in
`aifhub.core.modules`) and reach the dashboard page through the app's assembly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.modules import Card, CardProvider


async def dashboard_cards(
    providers: Iterable[CardProvider], session: AsyncSession, user: Any, request: Request
) -> list[Card]:
    """The cards of every provider for this user, in order (providers only read)."""
    cards = []
    for provider in providers:
        card = await provider(session, user, request)
        if card is not None:
            cards.append(card)
    return sorted(cards, key=lambda c: c.order)
