"""HTTP semantics every route shares: HEAD wherever GET is, a true Allow on 405, problem+json.

- HEAD: FastAPI's routes answer only the methods they name, so `HEAD /x` was a 405 wherever
  `GET /x` works. :func:`allow_head` adds HEAD to every GET route before the routers are
  mounted; the server sends the GET's status and headers without the body (uvicorn drops
  it, and Starlette's FileResponse does not even read the file).
- 405: Starlette names the methods of the first route whose path matched, while `/login`
  has a GET route and a POST route: :func:`allowed_methods` unions all of them.
- Starlette answers some errors itself in plain text (416 from a file response's Range
  handling, for instance): :class:`PlainErrorsAsProblems` turns those into problem+json,
  keeping the headers that matter (Content-Range, Allow, Retry-After).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM = "application/problem+json"
# Headers a rewritten error keeps from the original answer.
_KEPT = {b"content-range", b"allow", b"retry-after", b"www-authenticate", b"accept-ranges"}
_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    416: "Range not satisfiable",
    429: "Too many requests",
}
_DETAILS = {
    416: "The requested byte range is outside the file; ask for a range within its size "
    "(the Content-Range header gives it).",
}


def allow_head(routers: Iterable[APIRouter]) -> None:
    """Let every GET route of these routers (and of the routers they include) answer HEAD
    too, before the app serves its first request."""
    for router in routers:
        for _, route in leaf_routes(router.routes):
            if isinstance(route, APIRoute) and route.methods and "GET" in route.methods:
                route.methods.add("HEAD")


def leaf_routes(routes: Iterable[Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """(mount prefix, route) for every route, looking into routers included with a prefix."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:  # FastAPI keeps an included router as one entry
            context = getattr(route, "include_context", None)
            inner = str(getattr(context, "prefix", "") or "")
            yield from leaf_routes(original.routes, prefix + inner)
        else:
            yield prefix, route


def allowed_methods(routes: Iterable[Any], scope: Scope) -> list[str]:
    """Every method some route answers at this scope's path (for the Allow header)."""
    path = scope.get("path", "")
    methods: set[str] = set()
    for prefix, route in leaf_routes(routes):
        if prefix and not path.startswith(prefix):
            continue
        # A bare scope: the request's own carries what routing already decided for it.
        sub = {"type": "http", "path": path[len(prefix) :], "root_path": "", "method": "GET"}
        # Match.PARTIAL = the path matched but not the method: still a method of this path.
        try:
            match, _ = route.matches(sub)
        except Exception:  # a route that cannot judge this scope names no method
            continue
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def route_template(scope: Scope) -> str | None:
    """The matched route's template with the prefix it is mounted under ('/api/v1/x/{id}')."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    path: str = scope.get("path", "")
    if route is None or template is None:
        root = scope.get("root_path", "")
        # A mounted app (static files) has no route of its own: label it by its mount.
        return f"{root}/{{path}}" if root and scope.get("endpoint") is not None else None
    regex = getattr(route, "path_regex", None)
    if regex is None or regex.match(path):
        return str(template)
    # Included with a prefix: find the prefix that makes the route's pattern match.
    for cut in [i for i, ch in enumerate(path) if ch == "/" and i > 0]:
        if regex.match(path[cut:]):
            return path[:cut] + str(template)
    return str(template)


class PlainErrorsAsProblems:
    """Rewrite plain-text error answers (Starlette's own 416, 404 of a mount...) as problems."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rewriting = False

        async def _send(message: Message) -> None:
            nonlocal rewriting
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = dict(message.get("headers", []))
                content_type = headers.get(b"content-type", b"").decode("latin-1")
                if status >= 400 and content_type.startswith("text/plain"):
                    rewriting = True
                    body = _problem_body(status, scope.get("path", ""))
                    kept = [(k, v) for k, v in message.get("headers", []) if k in _KEPT]
                    await send(
                        {
                            "type": "http.response.start",
                            "status": status,
                            "headers": [
                                *kept,
                                (b"content-type", PROBLEM.encode()),
                                (b"content-length", str(len(body)).encode()),
                            ],
                        }
                    )
                    if scope.get("method") == "HEAD":
                        body = b""
                    await send({"type": "http.response.body", "body": body})
                    return
            elif rewriting:
                return  # the original plain-text body is dropped
            await send(message)

        await self.app(scope, receive, _send)


def _problem_body(status: int, path: str) -> bytes:
    title = _TITLES.get(status, "Error")
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": _DETAILS.get(status, title + "."),
        "instance": path,
    }
    return json.dumps(body).encode()
