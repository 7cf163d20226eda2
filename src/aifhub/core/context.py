"""Who is acting and from where, for the audit log, without threading it through every call."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class RequestContext:
    """The actor and client address of the current request, CLI command or worker step."""

    actor_id: int | None = None
    actor_label: str = "system"
    client_addr: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("aifhub_request_context", default=None)


def current() -> RequestContext:
    """The context of the running request (a system context outside requests)."""
    ctx = _current.get()
    if ctx is None:
        ctx = RequestContext()
        _current.set(ctx)
    return ctx


def begin(client_addr: str | None, *, actor_label: str = "anonymous") -> RequestContext:
    """Start a fresh context (one per request or command)."""
    ctx = RequestContext(client_addr=client_addr, actor_label=actor_label)
    _current.set(ctx)
    return ctx


def set_actor(actor_id: int | None, label: str) -> None:
    """Name the authenticated actor of the current context."""
    ctx = current()
    ctx.actor_id = actor_id
    ctx.actor_label = label


class ContextPerRequest:
    """ASGI middleware: each HTTP request starts a fresh context with its client's address."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            begin(client[0] if client else None)
        await self.app(scope, receive, send)
