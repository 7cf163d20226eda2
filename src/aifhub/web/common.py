"""Pages of the layout itself: the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from aifhub.core import i18n
from aifhub.core.errors import NotFound
from aifhub.web.deps import safe_next

router = APIRouter(include_in_schema=False)


@router.get("/lang/{code}")
async def switch_language(request: Request, code: str, next: str = "/") -> RedirectResponse:
    """Remember the chosen page language in the `lang` cookie and go back."""
    if code not in i18n.SUPPORTED:
        raise NotFound(f"No language '{code}'; choose one of: {', '.join(i18n.SUPPORTED)}.")
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        i18n.LANG_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response
