"""Errors the SDK raises: the server's problem+json, or no answer at all."""

from __future__ import annotations

from typing import Any

import httpx


class ClientError(Exception):
    """Anything that stopped an SDK call; `str(err)` is a message for a person."""


class StateConflict(ClientError):
    """The client found, before asking, that the current state forbids the call (a version
    already published...): the same kind of failure as the server's 409."""


class NotSignedIn(ClientError):
    """No token saved or given: the command needs `aifhub login` (or AIFHUB_TOKEN) first."""


class ServerUnreachable(ClientError):
    """No HTTP answer (connection refused, DNS, timeout)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"Cannot reach the aifhub server at {url}: {reason}")
        self.url = url
        self.reason = reason


class ApiError(ClientError):
    """The server answered with an error: its status, title and problem `detail`."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type: str = "about:blank",
        errors: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.errors = errors or []
        self.body = body or {}

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        """Build the error from a non-2xx response (problem+json, or whatever came back)."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            text = response.text.strip()[:500] or response.reason_phrase
            return cls(response.status_code, response.reason_phrase or "Error", text)
        return cls(
            int(body.get("status") or response.status_code),
            str(body.get("title") or response.reason_phrase or "Error"),
            str(body.get("detail") or body.get("title") or response.reason_phrase),
            type=str(body.get("type") or "about:blank"),
            errors=body.get("errors") if isinstance(body.get("errors"), list) else None,
            body=body,
        )
