"""One error hierarchy, rendered as RFC 9457 problem+json (or an HTML page for the web)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from aifhub.core.http import allowed_methods

PROBLEM = "application/problem+json"


class AppError(Exception):
    """A failure a user can act on. Subclasses fix the HTTP status and the problem type.

    `field` names the input the error is about (a field of the request's schema, which is
    also the form's field), so a page shows the message next to it and a client can tell.
    """

    status = 400
    type = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
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
        if self.field is not None and "errors" not in body:
            # The same extension member as a request that fails schema validation.
            body["errors"] = [{"field": self.field, "message": self.detail}]
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


@contextmanager
def about(field: str) -> Iterator[None]:
    """Errors raised inside that name no input are about `field` (a lookup by that input)."""
    try:
        yield
    except AppError as exc:
        if exc.field is None:
            exc.field = field
        raise


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _problem_response(
    request: Request, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    headers = dict(headers or {})
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


# Renders an error page: (request, status, title, detail) -> the HTML response.
HtmlErrorRenderer = Callable[[Request, int, str, str], Response]


def install_error_handlers(app: FastAPI, render_html: HtmlErrorRenderer | None = None) -> None:
    """Render every error as problem+json, or as `render_html`'s page for a browser (web)."""

    def _html(request: Request) -> HtmlErrorRenderer | None:
        return render_html if render_html is not None and _wants_html(request) else None

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Any:
        if html := _html(request):
            return html(request, exc.status, exc.title, exc.detail)
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
        if html := _html(request):
            return html(request, exc.status_code, "Error", str(exc.detail))
        headers = dict(exc.headers or {})
        detail = str(exc.detail)
        if exc.status_code == 405:
            # Every method of this path, not only those of the first route that matched it.
            allowed = allowed_methods(request.app.router.routes, request.scope)
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed here; use {' or '.join(allowed)}."
        body = {
            "type": "about:blank",
            "title": str(exc.detail),
            "status": exc.status_code,
            "detail": detail,
        }
        return _problem_response(request, body, headers)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> Any:
        err = database_error(exc)
        if err is None:
            return await _unexpected(request, exc)
        return await _app_error(request, err)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Any:
        # SQLite refuses integers past 64 bits this way, before any query runs.
        err = InvalidInput("A number in the request is too large; use a smaller value.")
        return await _app_error(request, err)

    @app.exception_handler(ConnectionError)
    async def _no_connection(request: Request, exc: ConnectionError) -> Any:
        return await _app_error(request, DATABASE_DOWN)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Any:
        # The traceback is logged by the server; the client gets a problem, not plain text.
        err = AppError("An unexpected error occurred on the server; it has been logged.")
        err.status, err.type, err.title = 500, "internal-error", "Internal server error"
        return _problem_response(request, err.problem(request.url.path))


DATABASE_DOWN = ServiceUnavailable(
    "The database is not reachable right now; try again in a moment. "
    "If this lasts, tell the factory's staff."
)


def database_error(exc: DBAPIError) -> AppError | None:
    """The user-facing error for a database failure: bad value 422, race 409, outage 503.

    None for anything else (a bug): it stays a 500.
    """
    text = str(exc.orig or exc).lower()
    # asyncpg reports an out-of-range argument before the query runs, not as a DataError.
    bad_value = ("out of" in text and "range" in text) or "0x00" in text or "nul" in text
    if isinstance(exc, DataError) or bad_value:
        return InvalidInput(
            "A value in the request is out of range or not valid here (numbers up to "
            "2147483647, text without NUL characters); correct it and try again."
        )
    if isinstance(exc, IntegrityError):
        return Conflict(
            "This request conflicts with another change made at the same time; "
            "reload and try again."
        )
    outage = ("connect", "database is locked", "unable to open", "shutting down", "terminat")
    if (
        exc.connection_invalidated
        or isinstance(exc.orig, OSError)
        or any(n in text for n in outage)
    ):
        return DATABASE_DOWN
    return None
