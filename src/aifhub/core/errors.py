"""One error hierarchy, rendered as RFC 9457 problem+json (or an HTML page for the web)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM = "application/problem+json"


class AppError(Exception):
    """A failure a user can act on. Subclasses fix the HTTP status and the problem type."""

    status = 400
    type = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """The problem+json document for this error."""
        body: dict[str, Any] = {
            "type": f"https://aifhub.dev/problems/{self.type}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class InvalidInput(AppError):
    status, type, title = 422, "invalid-input", "Invalid input"


class NotAuthenticated(AppError):
    status, type, title = 401, "not-authenticated", "Not authenticated"


class PermissionDenied(AppError):
    status, type, title = 403, "permission-denied", "Permission denied"


class NotFound(AppError):
    status, type, title = 404, "not-found", "Not found"


class Conflict(AppError):
    status, type, title = 409, "conflict", "Conflict"


class TooManyRequests(AppError):
    status, type, title = 429, "too-many-requests", "Too many requests"


class PayloadTooLarge(AppError):
    status, type, title = 413, "payload-too-large", "Payload too large"


class ServiceUnavailable(AppError):
    status, type, title = 503, "unavailable", "Service unavailable"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _problem_response(request: Request, body: dict[str, Any]) -> JSONResponse:
    headers = {}
    if body.get("status") == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(body.get("retry_after_s"), int):
        headers["Retry-After"] = str(body["retry_after_s"])
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        out.append({"field": ".".join(loc) or None, "message": err.get("msg", "invalid")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Render every error of the app as problem+json (API) or an error page (web)."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Any:
        if _wants_html(request):
            from aifhub.web.render import render_error

            return render_error(request, exc.status, exc.title, exc.detail)
        return _problem_response(request, exc.problem(request.url.path))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Any:
        errors = _field_errors(exc)
        detail = "; ".join(
            f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
        )
        err = InvalidInput(detail or "invalid input", errors=errors)
        return _problem_response(request, err.problem(request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        if _wants_html(request):
            from aifhub.web.render import render_error

            return render_error(request, exc.status_code, "Error", str(exc.detail))
        body = {
            "type": "about:blank",
            "title": str(exc.detail),
            "status": exc.status_code,
            "detail": str(exc.detail),
        }
        return _problem_response(request, body)
