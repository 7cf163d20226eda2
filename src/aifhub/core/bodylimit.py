"""A request-body guard: authenticate before a byte is read, and cap what may be read.

Starlette parses multipart forms (spooling files to disk) and FastAPI reads JSON bodies before
any endpoint dependency runs, so a check made by a dependency comes too late: an anonymous
client could make the server write a gigabyte first. This pure ASGI middleware runs before the
application reads anything. For a request with a body it

- answers 413 when the declared Content-Length passes the route's limit;
- asks an injected callable whether the request carries valid credentials (core cannot import
  identity) and answers 401 otherwise, except on the few anonymous form routes (sign-in,
  registration...), which get a small limit instead;
- counts the bytes of the body as they stream (chunked bodies have no Content-Length) and
  answers 413 as soon as the limit is passed, whatever the application was doing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aifhub.core.errors import PROBLEM

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# Returns None when the request carries valid credentials, else a sentence saying what is wrong.
CheckCredentials = Callable[[Scope], Awaitable[str | None]]


@dataclass(frozen=True)
class BodyRule:
    """A route (method + full-path regex) whose body may be larger or smaller than the default."""

    methods: frozenset[str]
    path: re.Pattern[str]
    max_bytes: int
    anonymous: bool = False

    def matches(self, method: str, path: str) -> bool:
        """True when this rule governs the request."""
        return method in self.methods and bool(self.path.fullmatch(path))


def rule(methods: str, path: str, max_bytes: int, *, anonymous: bool = False) -> BodyRule:
    """A BodyRule from 'POST,PUT' and a path regex."""
    return BodyRule(frozenset(methods.split(",")), re.compile(path), max_bytes, anonymous)


class _BodyTooLarge(Exception):
    """Raised into the application when the streamed body passes the limit."""


def _problem(status: int, title: str, detail: str, path: str) -> tuple[bytes, list[Any]]:
    body = json.dumps(
        {
            "type": f"https://aifhub.dev/problems/{title.lower().replace(' ', '-')}",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path,
        }
    ).encode()
    headers = [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    if status == 413:
        headers.append((b"connection", b"close"))
    return body, headers


async def _answer(send: Send, status: int, body: bytes, headers: list[Any]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _too_large_detail(limit: int) -> str:
    return (
        f"The request body is larger than the limit of {limit} bytes for this address; "
        "send less data (split a file, or upload it to a catalogue version)."
    )


class BodyGuard:
    """ASGI middleware: credentials checked before the body is read; bodies capped per route."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        check_credentials: CheckCredentials,
        default_max_bytes: int,
        rules: Sequence[BodyRule] = (),
    ) -> None:
        self.app = app
        self.check_credentials = check_credentials
        self.default_max_bytes = default_max_bytes
        self.rules = list(rules)

    def _rule_for(self, method: str, path: str) -> tuple[int, bool]:
        for r in self.rules:
            if r.matches(method, path):
                return r.max_bytes, r.anonymous
        return self.default_max_bytes, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        declared = int(length) if length and length.strip().isdigit() else None
        if not chunked and not declared:
            # No body (or an empty one): nothing to guard, the endpoints authenticate.
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        limit, anonymous = self._rule_for(method, path)
        if not anonymous:
            problem = await self.check_credentials(scope)
            if problem is not None:
                await self._unauthenticated(scope, headers, send, problem)
                return
        if declared is not None and declared > limit:
            body, hdrs = _problem(413, "Payload too large", _too_large_detail(limit), path)
            await _answer(send, 413, body, hdrs)
            return
        await self._guarded(scope, receive, send, limit)

    async def _unauthenticated(
        self, scope: Scope, headers: dict[str, str], send: Send, detail: str
    ) -> None:
        path = scope["path"]
        if not path.startswith("/api/") and "text/html" in headers.get("accept", ""):
            # A browser form whose session expired: back to the sign-in page, nothing read.
            location = f"/login?next={quote(path, safe='/')}".encode()
            await _answer(send, 303, b"", [(b"location", location), (b"content-length", b"0")])
            return
        body, hdrs = _problem(401, "Not authenticated", detail, path)
        await _answer(send, 401, body, hdrs)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the app answers (often a 400 or 500), the client gets 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            body, hdrs = _problem(413, "Payload too large", _too_large_detail(limit), scope["path"])
            await _answer(send, 413, body, hdrs)
