"""The credential check the request-body guard runs before a body is read (core cannot import
identity, so the application injects this)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from aifhub.core.errors import NotAuthenticated
from aifhub.identity import credentials
from aifhub.identity.deps import SESSION_COOKIE

SLURM_TOKEN_HEADER = "x-slurm-user-token"
MISSING = (
    "Sign in, or send an API token as 'Authorization: Bearer <token>', "
    "before sending a request body."
)


async def credentials_problem(scope: dict[str, Any]) -> str | None:
    """None when the request carries a valid token or session cookie, else what is wrong.

    Uses its own short session, rolled back at once: no connection is kept while the body
    streams, and the endpoint checks rights (scopes, CSRF, roles) again as usual.
    """
    conn = HTTPConnection(scope)
    maker: async_sessionmaker[AsyncSession] = conn.app.state.sessionmaker
    auth = conn.headers.get("authorization", "")
    cookie = conn.cookies.get(SESSION_COOKIE)
    # The AI Factory Compute API's clients carry the same API token in their own header.
    slurm_token = conn.headers.get(SLURM_TOKEN_HEADER, "").strip()
    if not auth and not cookie and not slurm_token:
        return MISSING
    async with maker() as session:
        try:
            if slurm_token and not auth:
                await credentials.resolve_token(session, slurm_token)
                return None
            if auth:
                scheme, _, value = auth.partition(" ")
                if scheme.lower() != "bearer" or not value.strip():
                    return "Use 'Authorization: Bearer <token>'."
                await credentials.resolve_token(session, value.strip())
                return None
            assert cookie is not None
            principal = await credentials.resolve_web_session(session, cookie)
            return None if principal is not None else "Your session has ended; sign in again."
        except NotAuthenticated as exc:
            return exc.detail
        finally:
            await session.rollback()
