"""Mount the web layer on the app: static files, the language switch, the sign-in redirect."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from aifhub.web.common import router as layout_router
from aifhub.web.deps import LoginRequired, login_url
from aifhub.web.render import WEB_DIR


def install_web(app: FastAPI) -> None:
    """Serve /static and /lang, and answer `LoginRequired` with a 303 to the sign-in page."""
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    app.include_router(layout_router)

    @app.get("/favicon.ico", include_in_schema=False)
    async def _favicon() -> RedirectResponse:
        # Asked for by browsers and tools that do not read the page's <link rel="icon">.
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> RedirectResponse:
        response = RedirectResponse(login_url(exc.next_url), status_code=303)
        if request.headers.get("hx-request") == "true":
            response.headers["HX-Redirect"] = login_url(exc.next_url)
        return response
