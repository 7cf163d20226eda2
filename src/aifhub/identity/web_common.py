"""What the identity pages share: translated labels of the enums, country choices, errors."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from aifhub.core.errors import AppError, PermissionDenied
from aifhub.core.i18n import N_, babel_locale
from aifhub.schemas.fields import COUNTRY_CODES
from aifhub.web.forms import error_for
from aifhub.web.render import gettext, page_locale, render

ORG_KINDS = {
    "startup": N_("Startup"),
    "sme": N_("SME"),
    "large_company": N_("Large company"),
    "academic": N_("Academic"),
    "public_body": N_("Public body"),
}
SECTORS = {
    "health": N_("Health"),
    "aeronautics": N_("Aeronautics"),
    "energy": N_("Energy"),
    "materials": N_("Materials"),
    "robotics": N_("Robotics"),
    "agronomy": N_("Agronomy"),
    "defence_security": N_("Defence and security"),
    "education": N_("Education"),
    "mobility": N_("Mobility"),
    "finance": N_("Finance"),
    "humanities": N_("Humanities"),
    "other": N_("Other"),
}
ORG_ROLES = {"owner": N_("Owner"), "admin": N_("Admin"), "member": N_("Member")}
PROJECT_ROLES = {"pi": N_("PI"), "manager": N_("Manager"), "member": N_("Member")}
STAFF_ROLES = {
    "admin": N_("Staff admin"),
    "reviewer": N_("Reviewer"),
    "expert": N_("Expert"),
    "support": N_("Support"),
}
PROJECT_STATUSES = (N_("active"), N_("closed"), N_("suspended"))
TOKEN_SCOPES = {"read": N_("read"), "write": N_("write"), "admin": N_("admin")}


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


def is_htmx(request: Request) -> bool:
    """True for a request made by HTMX (answer with a fragment)."""
    return request.headers.get("hx-request") == "true"
