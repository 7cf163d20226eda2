"""What the identity pages share: translated labels of the enums, country choices, errors."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from aifhub.core.errors import AppError, PermissionDenied
from aifhub.core.i18n import babel_locale
from aifhub.schemas.enums.identity import (
    LABELS,
    OrgKind,
    OrgRole,
    ProjectRole,
    Sector,
    StaffRole,
    TokenScope,
)
from aifhub.schemas.fields import COUNTRY_CODES
from aifhub.web.forms import error_for
from aifhub.web.render import gettext, page_locale, render

# The enums' labels (declared next to them: aifhub.schemas.enums.identity.LABELS).
ORG_KINDS = {m.value: text for m, text in LABELS[OrgKind].items()}
SECTORS = {m.value: text for m, text in LABELS[Sector].items()}
ORG_ROLES = {m.value: text for m, text in LABELS[OrgRole].items()}
PROJECT_ROLES = {m.value: text for m, text in LABELS[ProjectRole].items()}
STAFF_ROLES = {m.value: text for m, text in LABELS[StaffRole].items()}
TOKEN_SCOPES = {m.value: text for m, text in LABELS[TokenScope].items()}


def choices(request: Request, labels: dict[str, str]) -> list[tuple[str, str]]:
    """(value, translated label) pairs for a select or checkboxes."""
    return [(value, gettext(request, label)) for value, label in labels.items()]


def countries(request: Request) -> list[tuple[str, str]]:
    """(ISO code, country name in the page's language), sorted by name."""
    names = babel_locale(page_locale(request)).territories
    return sorted(((c, names.get(c, c)) for c in COUNTRY_CODES), key=lambda p: p[1])


def labels(request: Request) -> dict[str, Any]:
    """Label tables for the templates (translated)."""
    return {
        "org_kinds": dict(choices(request, ORG_KINDS)),
        "sectors": dict(choices(request, SECTORS)),
        "org_roles": dict(choices(request, ORG_ROLES)),
        "project_roles": dict(choices(request, PROJECT_ROLES)),
        "staff_roles": dict(choices(request, STAFF_ROLES)),
    }


def page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> Any:
    """Render an identity page with the label tables."""
    return render(request, name, status_code=status_code, **labels(request), **ctx)


def _shown_inline(exc: AppError) -> AppError:
    # A permission error is answered with the 403 page, not inline.
    if isinstance(exc, PermissionDenied):
        raise exc
    return exc


def refused(exc: AppError) -> dict[str, str]:
    """A service call refused inside `attempt(db)` as form errors (403 stays a 403 page)."""
    return error_for(_shown_inline(exc))


def refused_message(exc: AppError) -> str:
    """The message of a refused call shown on one row or action (403 stays a 403 page)."""
    return _shown_inline(exc).detail


def client_address(request: Request) -> str | None:
    """The client's address as the server saw it (for the audit log and rate limits)."""
    return request.client.host if request.client else None


def is_htmx(request: Request) -> bool:
    """True for a request made by HTMX (answer with a fragment)."""
    return request.headers.get("hx-request") == "true"
