"""What the access pages share: state labels, mode sync, rendering, state-change actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.modes import modes_from_site, sync_modes
from aifhub.core.db import attempt
from aifhub.core.errors import AppError
from aifhub.core.infra import get_infra
from aifhub.identity import choices, page, refused_message
from aifhub.schemas.enums.access import LABELS, AllocationState, ApplicationState
from aifhub.web.render import gettext, redirect

# The state labels, declared next to the enums (aifhub.schemas.enums.access.LABELS).
STATES = {
    m.value: text
    for enum in (ApplicationState, AllocationState)
    for m, text in LABELS[enum].items()
}


async def synced_modes(request: Request, db: AsyncSession) -> None:
    """Bring the access_modes table in line with the site file (as the API does)."""
    specs = getattr(request.app.state, "access_mode_specs", None)
    if specs is None:
        specs = request.app.state.access_mode_specs = modes_from_site(get_infra(request).site)
    await sync_modes(db, specs)


def access_page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> Response:
    """Render an access page with the state labels."""
    states = dict(choices(request, STATES))
    return page(request, name, status_code=status_code, states=states, **ctx)


async def act(
    request: Request,
    db: AsyncSession,
    url: str,
    action: Callable[[], Awaitable[Any]],
    done: str,
) -> Response:
    """Run a state change; on a refusal nothing changes and the page says why."""
    try:
        async with attempt(db):
            await action()
    except AppError as exc:
        return redirect(request, url, refused_message(exc), kind="error")
    return redirect(request, url, gettext(request, done))
