"""Template rendering shared by every domain's pages: layout context, language, flash messages."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from aifhub.core import i18n
from aifhub.core.i18n import N_
from aifhub.core.infra import get_infra
from aifhub.web.nav import visible_nav

WEB_DIR = Path(__file__).resolve().parent
templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(str(WEB_DIR / "templates")),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
    )
)
templates.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]

FLASH_COOKIE = "aifhub_flash"
# Titles of core/errors.py and of HTTP errors, translated on the error page.
ERROR_TITLES = (
    N_("Bad request"),
    N_("Invalid input"),
    N_("Not authenticated"),
    N_("Permission denied"),
    N_("Not found"),
    N_("Conflict"),
    N_("Too many requests"),
    N_("Payload too large"),
    N_("Service unavailable"),
)
ANON_CSRF_COOKIE = "aifhub_csrf"


# ---------------------------------------------------------------- language


def page_locale(request: Request) -> str:
    """The language of this request's pages (cached on the request)."""
    cached = getattr(request.state, "locale", None)
    if cached:
        return str(cached)
    view = getattr(request.state, "user_view", None)
    locale = i18n.negotiate(
        cookie=request.cookies.get(i18n.LANG_COOKIE),
        user_locale=view.locale if view else None,
        accept_language=request.headers.get("accept-language"),
        default=request.app.state.settings.default_locale,
    )
    request.state.locale = locale
    return locale


def gettext(request: Request, message: str, **variables: Any) -> str:
    """Translate a message for this request's language (for flash messages, form errors)."""
    text = i18n.translations(page_locale(request)).gettext(message)
    return text % variables if variables else text


def _template_gettext(locale: str) -> tuple[Any, Any]:
    # New-style gettext for templates: autoescaped, with %(name)s variables.
    catalogue = i18n.translations(locale)

    @pass_context
    def _gettext(ctx: Context, message: str, **variables: Any) -> str:
        text = catalogue.gettext(message)
        if ctx.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables if variables else text

    @pass_context
    def _ngettext(ctx: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = catalogue.ngettext(singular, plural, num)
        if ctx.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return _gettext, _ngettext


@pass_context
def _datetime_filter(ctx: Context, value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt, tzinfo=UTC, locale=ctx.get("locale", "en"))


@pass_context
def _date_filter(ctx: Context, value: date | str | None, fmt: str = "medium") -> str:
    # A day may come as its ISO text ('2026-12-03', as in the usage rows).
    if isinstance(value, str):
        value = date.fromisoformat(value) if value else None
    return "" if value is None else format_date(value, fmt, locale=ctx.get("locale", "en"))


@pass_context
def _number_filter(ctx: Context, value: Any) -> str:
    return "" if value is None else format_decimal(value, locale=ctx.get("locale", "en"))


@pass_context
def _hours_filter(ctx: Context, value: Any) -> str:
    """Hours to their ledger precision (0.0072, not `number`'s 0.007), the locale's way."""
    if value is None:
        return ""
    return format_decimal(value, locale=ctx.get("locale", "en"), decimal_quantization=False)


@pass_context
def _label_filter(ctx: Context, value: Any, kind: str | None = None) -> str:
    """The translated label of a value (enum member or its string, see core.i18n.label);
    `kind` names the enum when several share the value: `m.role|label('ProjectRole')`."""
    return i18n.label(value, ctx.get("locale", "en"), kind)


@pass_context
def _language_filter(ctx: Context, code: str | None) -> str:
    """A language code ('fr') as its name in the page's language ('français')."""
    if not code:
        return ""
    return i18n.babel_locale(ctx.get("locale", "en")).languages.get(code, code)


@pass_context
def _country_filter(ctx: Context, code: str | None) -> str:
    """An ISO country code ('DE') as its name in the page's language ('Allemagne')."""
    if not code:
        return ""
    return i18n.babel_locale(ctx.get("locale", "en")).territories.get(code.upper(), code)


@pass_context
def _label_choices(ctx: Context, kind: str) -> list[tuple[str, str]]:
    """(value, translated label) of each member of an enum: `label_choices('Sector')`."""
    return i18n.label_choices(kind, ctx.get("locale", "en"))


def _web_href(value: str | None) -> str:
    """A user-given link rendered only when it is http(s): rows stored before validation
    existed could hold 'javascript:' addresses."""
    text = (value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else "#"


templates.env.filters["web_href"] = _web_href
templates.env.filters["datetime"] = _datetime_filter
templates.env.filters["date"] = _date_filter
templates.env.filters["number"] = _number_filter
templates.env.filters["hours"] = _hours_filter
templates.env.filters["label"] = _label_filter
templates.env.filters["language"] = _language_filter
templates.env.filters["country"] = _country_filter
templates.env.globals["label_choices"] = _label_choices


# ---------------------------------------------------------------- flash messages


def _flash_signer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.settings.resolved_secret_key(), salt="flash")


def flash(request: Request, response: Any, message: str, kind: str = "success") -> None:
    """Queue a message shown once on the next page (kind: success, error, info)."""
    pending = list(getattr(request.state, "flashes_out", []))
    pending.append({"kind": kind, "message": message})
    request.state.flashes_out = pending
    response.set_cookie(
        FLASH_COOKIE,
        _flash_signer(request).dumps(pending),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )


def _read_flashes(request: Request) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        items = _flash_signer(request).loads(raw)
    except (BadSignature, json.JSONDecodeError):
        return []
    return [i for i in items if isinstance(i, dict) and "message" in i][:10]


def redirect(
    request: Request, url: str, message: str | None = None, kind: str = "success"
) -> RedirectResponse:
    """A 303 redirect after a form, with an optional flash message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        flash(request, response, message, kind)
    return response


# ---------------------------------------------------------------- rendering


def anonymous_csrf_token(request: Request) -> str:
    """The double-submit token of a visitor without a session (sign-in and register forms)."""
    token = getattr(request.state, "anon_csrf", None) or request.cookies.get(ANON_CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(24)
    request.state.anon_csrf = token
    return str(token)


def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a page with the common context (user, CSRF token, language, nav, flashes)."""
    principal = getattr(request.state, "principal", None)
    if principal is not None and principal.via != "session":
        principal = None
    ctx.setdefault("user", principal.user if principal else None)
    locale = page_locale(request)
    _gettext, _ngettext = _template_gettext(locale)
    if principal is not None and principal.csrf_token:
        ctx.setdefault("csrf_token", principal.csrf_token)
    else:
        ctx.setdefault("csrf_token", anonymous_csrf_token(request))
    ctx.setdefault("site", get_infra(request).site)
    ctx.update(
        locale=locale,
        languages=i18n.LANGUAGE_NAMES,
        gettext=_gettext,
        ngettext=_ngettext,
        # The domains' entries, assembled by the app (app.state.assembly: aifhub.core.modules).
        nav=visible_nav(request.app.state.assembly.nav, ctx["user"]),
        current_path=request.url.path,
        htmx=request.headers.get("hx-request") == "true",
    )
    # A fragment swapped by HTMX leaves pending messages for the next full page.
    ctx["flashes"] = [] if ctx["htmx"] else _read_flashes(request)
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if request.cookies.get(FLASH_COOKIE) and not ctx["htmx"]:
        response.delete_cookie(FLASH_COOKIE)
    if principal is None and request.cookies.get(ANON_CSRF_COOKIE) != ctx["csrf_token"]:
        response.set_cookie(
            ANON_CSRF_COOKIE,
            ctx["csrf_token"],
            httponly=True,
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
        )
    return response


def render_error(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    """An error page that says what went wrong and what to do."""
    # The request's database session is closed: the layout shows a snapshot of the user.
    user = getattr(request.state, "user_view", None)
    return render(
        request,
        "error.html",
        status_code=status_code,
        title=title,
        detail=detail,
        code=status_code,
        user=user,
    )
