"""Forms: the CSRF check, validation through the domain's Pydantic schemas, inline field errors.

The form dependencies that know who is posting (`CsrfForm`, `AnonCsrfForm`) are identity's:
`aifhub.identity.page_deps`.
"""

from __future__ import annotations

import secrets
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from aifhub.core.errors import AppError, PermissionDenied
from aifhub.core.i18n import N_
from aifhub.web.render import gettext

M = TypeVar("M", bound=BaseModel)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# Pydantic error types shown as a translated, actionable message.
_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is too short."),
    "string_too_long": N_("This field is too long."),
    "string_pattern_mismatch": N_("Use lowercase letters, digits and dashes (e.g. my-team)."),
    "value_error": N_("This value is not valid."),
    "enum": N_("Choose one of the proposed values."),
    "literal_error": N_("Choose one of the proposed values."),
    "int_parsing": N_("Enter a whole number."),
    "greater_than_equal": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
    "too_short": N_("Choose at least one."),
    "too_long": N_("Too many values selected."),
}
_COUNTRY = N_("Choose a country from the list (ISO code such as FR or DE).")
_EMAIL = N_("Enter a valid e-mail address, such as name@example.eu.")


def _same(sent: object, expected: str | None) -> bool:
    return bool(expected) and isinstance(sent, str) and secrets.compare_digest(sent, expected or "")


def check_csrf(request: Request, form: FormData, expected: str | None) -> None:
    """Refuse a posted form whose CSRF token (field or header) is not `expected` (403)."""
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not _same(sent, expected):
        raise PermissionDenied(
            "The form's security token is missing or out of date; reload the page and try again."
        )


def field_errors(request: Request, exc: ValidationError) -> dict[str, str]:
    """One translated message per form field from a Pydantic error (first error wins)."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        field = loc[0] if loc else "__all__"
        if field in out:
            continue
        kind = str(err.get("type", ""))
        msg = str(err.get("msg", ""))
        if field == "country":
            text = gettext(request, _COUNTRY)
        elif field == "slug" and kind == "value_error":
            text = gettext(request, _MESSAGES["string_pattern_mismatch"])
        elif field == "email" and kind == "value_error":
            text = gettext(request, _EMAIL)
        elif kind in _MESSAGES:
            text = gettext(request, _MESSAGES[kind])
        else:
            text = msg.removeprefix("Value error, ")
        out[field] = text
    return out


def validate(
    request: Request, schema: type[M], data: dict[str, Any]
) -> tuple[M | None, dict[str, str]]:
    """Validate form data with a domain schema: (model, {}) or (None, {field: message})."""
    try:
        return schema.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors(request, exc)


def form_values(form: FormData, *lists: str) -> dict[str, Any]:
    """The form as a dict: blank fields dropped, `lists` fields (checkboxes) as lists."""
    data: dict[str, Any] = {}
    for key in form.keys():
        if key == CSRF_FIELD:
            continue
        if key in lists:
            data[key] = [v for v in form.getlist(key) if isinstance(v, str) and v]
        else:
            value = form.get(key)
            if isinstance(value, str) and value.strip() != "":
                data[key] = value
    for key in lists:
        data.setdefault(key, [])
    return data


def error_for(exc: AppError) -> dict[str, str]:
    """A service error as form errors: next to the field it names (`exc.field`), else on top."""
    return {exc.field or "__all__": exc.detail}


__all__ = [
    "check_csrf",
    "error_for",
    "field_errors",
    "form_values",
    "validate",
]
