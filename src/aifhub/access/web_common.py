"""What the access pages share: labels, mode texts, mode sync, rendering, state changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.modes import modes_from_site, sync_modes
from aifhub.core.db import attempt
from aifhub.core.errors import AppError
from aifhub.core.i18n import N_
from aifhub.core.infra import get_infra
from aifhub.identity import choices, page, refused_message
from aifhub.schemas.enums.access import (
    LABELS,
    AllocationState,
    ApplicationKind,
    ApplicationState,
    ReviewState,
    ReviewStep,
)
from aifhub.web.render import gettext, redirect

# The state labels, declared next to the enums (aifhub.schemas.enums.access.LABELS).
STATES = {
    m.value: text
    for enum in (ApplicationState, AllocationState)
    for m, text in LABELS[enum].items()
}


# The review criteria of the built-in modes (a site's own criteria show as written).
CRITERIA = {
    "feasibility": N_("Technical feasibility"),
    "quality": N_("Quality of the plan"),
    "impact": N_("Expected impact"),
    "resources": N_("Fit of the resources asked"),
}
# Kinds, review steps and review states: their labels come from the enums too.
KINDS = {m.value: text for m, text in LABELS[ApplicationKind].items()}
STEPS = {m.value: text for m, text in LABELS[ReviewStep].items()}
REVIEW_STATES = {m.value: text for m, text in LABELS[ReviewState].items()}
# The names and descriptions of the built-in modes (default_modes.toml), for the catalogue: the
# pages translate a mode's text when the catalogue has it, and show a site's own text as is.
MODE_TEXTS = [
    N_("Playground"),
    N_(
        "Entry-level access for industry users new to HPC: a short form, a technical and "
        "eligibility check."
    ),
    N_("Fast Lane"),
    N_("For users who already know HPC: up to 50,000 GPU-hours, decided within 4 working days."),
    N_("Large Scale"),
    N_("Big AI workloads above 50,000 GPU-hours; peer reviewed after each cut-off date."),
    N_("National dynamic access"),
    N_(
        "GENCI dynamic access: up to 50,000 normalised GPU-hours, any time, valid one year, "
        "renewable, with top-ups."
    ),
]


def translated(request: Request, text: str) -> str:
    """A text of the configuration in the page's language when the catalogue has it."""
    return gettext(request, text) if text else text


def criterion_label(request: Request, key: str) -> str:
    """A review criterion's label (a site's own criterion key, made readable)."""
    label = CRITERIA.get(key)
    return gettext(request, label) if label else key.replace("_", " ").capitalize()


async def synced_modes(request: Request, db: AsyncSession) -> None:
    """Bring the access_modes table in line with the site file (as the API does)."""
    specs = getattr(request.app.state, "access_mode_specs", None)
    if specs is None:
        infra = get_infra(request)
        specs = request.app.state.access_mode_specs = modes_from_site(
            infra.site, demo=infra.settings.demo
        )
    await sync_modes(db, specs)


def access_page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> Response:
    """Render an access page with the state labels."""
    return page(
        request,
        name,
        status_code=status_code,
        states=dict(choices(request, STATES)),
        steps=dict(choices(request, STEPS)),
        kinds=dict(choices(request, KINDS)),
        review_states=dict(choices(request, REVIEW_STATES)),
        criterion=lambda key: criterion_label(request, key),
        tr=lambda text: translated(request, text),
        **ctx,
    )


async def act(
    request: Request,
    db: AsyncSession,
    url: str,
    action: Callable[[], Awaitable[Any]],
    done: str | Callable[[], str],
) -> Response:
    """Run a state change; on a refusal nothing changes and the page says why.

    `done` is the message of success, or a function that says it once the change is made.
    """
    try:
        async with attempt(db):
            await action()
    except AppError as exc:
        return redirect(request, url, refused_message(exc), kind="error")
    return redirect(request, url, gettext(request, done() if callable(done) else done))
