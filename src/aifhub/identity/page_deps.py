"""Page dependencies: who is browsing (`PageUser`, `OptionalPageUser`, `StaffPageUser`) and
the CSRF-checked forms they post (`CsrfForm`, `AnonCsrfForm`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from aifhub.core.errors import PermissionDenied
from aifhub.identity.credentials import Principal
from aifhub.identity.deps import optional_principal
from aifhub.identity.models import User
from aifhub.web.deps import LoginRequired
from aifhub.web.forms import check_csrf
from aifhub.web.render import ANON_CSRF_COOKIE


@dataclass(frozen=True)
class UserView:
    """What the layout shows of the signed-in user, readable after the session has closed
    (error pages are rendered after the request's database session rolled back)."""

    id: int
    name: str
    email: str
    locale: str
    roles: frozenset[str]

    @property
    def is_staff(self) -> bool:
        return bool(self.roles)

    def has_role(self, *roles: str) -> bool:
        """True when the user holds any of these staff roles (admin holds all)."""
        return "admin" in self.roles or any(r in self.roles for r in roles)


async def page_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal | None:
    """The browser session's principal; API tokens do not open pages."""
    if principal is None or principal.via != "session":
        return None
    u = principal.user
    request.state.user_view = UserView(u.id, u.name, u.email, u.locale, frozenset(u.roles))
    return principal


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


async def csrf_form(request: Request, principal: PagePrincipal) -> FormData:
    """The posted form, after checking its CSRF token (403 when missing or wrong).

    A signed-in user's token is the one of their session; a visitor's (sign-in, register) is
    the double-submit cookie set when the form was shown.
    """
    form = await request.form()
    if principal is not None:
        expected = principal.csrf_token
    else:
        expected = request.cookies.get(ANON_CSRF_COOKIE)
    check_csrf(request, form, expected)
    return form


async def user_csrf_form(request: Request, principal: PagePrincipal) -> FormData:
    """The CSRF-checked form of a signed-in user (a visitor goes to /login first)."""
    await page_user(request, principal)
    return await csrf_form(request, principal)


CsrfForm = Annotated[FormData, Depends(user_csrf_form)]
AnonCsrfForm = Annotated[FormData, Depends(csrf_form)]
