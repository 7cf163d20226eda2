"""Request dependencies: who is calling (`CurrentUser`, `CurrentPrincipal`), with what rights."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from aifhub.core import context
from aifhub.core.db import DbSession
from aifhub.core.errors import NotAuthenticated, PermissionDenied
from aifhub.identity import credentials
from aifhub.identity.credentials import Principal
from aifhub.identity.models import User

SESSION_COOKIE = "aifhub_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def optional_principal(request: Request, db: DbSession) -> Principal | None:
    """The caller from a bearer token or a session cookie, if any (cached per request)."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    principal: Principal | None = None
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("Use 'Authorization: Bearer <token>'.")
        principal = await credentials.resolve_token(db, value.strip())
    elif cookie := request.cookies.get(SESSION_COOKIE):
        principal = await credentials.resolve_web_session(db, cookie)
    if principal is not None:
        context.set_actor(principal.user.id, principal.user.email)
    request.state.principal = principal
    return principal


async def current_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal:
    """The authenticated caller; 401 when there is none. Scopes follow the HTTP method."""
    if principal is None:
        raise NotAuthenticated("Sign in, or send an API token as 'Authorization: Bearer <token>'.")
    if request.method not in SAFE_METHODS and "write" not in principal.scopes:
        raise PermissionDenied("This API token is read-only; create one with the 'write' scope.")
    if principal.via == "session" and request.method not in SAFE_METHODS:
        _check_csrf(request, principal)
    return principal


def _check_csrf(request: Request, principal: Principal) -> None:
    # Cookie-authenticated API writes need the CSRF header (forms are checked in web/).
    sent = request.headers.get("x-csrf-token")
    if request.url.path.startswith("/api/") and sent != principal.csrf_token:
        raise PermissionDenied("Missing or wrong X-CSRF-Token header for a cookie session.")


async def current_user(principal: Annotated[Principal, Depends(current_principal)]) -> User:
    """The authenticated user."""
    return principal.user


async def staff_user(user: Annotated[User, Depends(current_user)]) -> User:
    """The authenticated user, who must hold a staff role."""
    if not user.is_staff:
        raise PermissionDenied("This page is for the factory's staff.")
    return user


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentUser = Annotated[User, Depends(current_user)]
StaffUser = Annotated[User, Depends(staff_user)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
