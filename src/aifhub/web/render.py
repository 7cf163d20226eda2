"""Template rendering shared by every domain's pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

WEB_DIR = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))


def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a page with the common context (user, CSRF token, language)."""
    principal = getattr(request.state, "principal", None)
    ctx.setdefault("user", principal.user if principal else None)
    ctx.setdefault("csrf_token", principal.csrf_token if principal else "")
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def render_error(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    """An error page that says what went wrong and what to do."""
    return render(request, "error.html", status_code=status_code, title=title, detail=detail)
