"""Page dependencies: who is browsing (`PageUser`, `OptionalPageUser`, `StaffPageUser`)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from aifhub.core.errors import PermissionDenied
from aifhub.identity.credentials import Principal
from aifhub.identity.deps import optional_principal
from aifhub.identity.models import User


class LoginRequired(Exception):
    """Raised by `PageUser` for an anonymous visitor: answered with a 303 to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def login_url(next_url: str | None) -> str:
    """The sign-in page, coming back to `next_url` afterwards."""
    if not next_url or next_url == "/":
        return "/login"
    return f"/login?next={quote(next_url, safe='/')}"


def safe_next(value: str | None) -> str:
    """A local path to go back to (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


async def page_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal | None:
    """The browser session's principal; API tokens do not open pages."""
    return principal if principal is not None and principal.via == "session" else None


async def optional_page_user(
    principal: Annotated[Principal | None, Depends(page_principal)],
) -> User | None:
    """The signed-in user, or None for a visitor."""
    return principal.user if principal else None


async def page_user(
    request: Request, principal: Annotated[Principal | None, Depends(page_principal)]
) -> User:
    """The signed-in user; a visitor is sent to /login and brought back afterwards."""
    if principal is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path if request.method == "GET" else "/")
    return principal.user


async def staff_page_user(user: Annotated[User, Depends(page_user)]) -> User:
    """The signed-in user, who must hold a staff role."""
    if not user.is_staff:
        raise PermissionDenied("This page is for the factory's staff.")
    return user


PagePrincipal = Annotated[Principal | None, Depends(page_principal)]
OptionalPageUser = Annotated[User | None, Depends(optional_page_user)]
PageUser = Annotated[User, Depends(page_user)]
StaffPageUser = Annotated[User, Depends(staff_page_user)]
