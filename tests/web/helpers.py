"""Sign in through the real pages and read the CSRF token the way a browser does."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.identity import service
from aifhub.identity.service import get_user_by_email

from ..factories import PASSWORD, make_user

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
HTML = {"accept": "text/html"}


def csrf_of(html: str) -> str:
    """The CSRF token of a rendered page."""
    found = CSRF_RE.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Sign in with the form; returns the CSRF token of the new session."""
    client.cookies.clear()
    page = await client.get("/login")
    r = await client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 303, r.text
    home = await client.get("/", headers=HTML)
    assert home.status_code == 200, home.text
    return csrf_of(home.text)


async def user_and_login(
    client: httpx.AsyncClient, db: AsyncSession, email: str, *, staff: tuple[str, ...] = ()
) -> str:
    """Create a user, sign in, return the CSRF token."""
    await make_user(db, email, staff=staff)
    return await login(client, email)


async def join_by_invitation(
    db: AsyncSession, slug: str, owner_email: str, member_email: str, role: str = "member"
) -> None:
    """The owner invites, the member accepts (the only way into an organisation), committed."""
    owner = await get_user_by_email(db, owner_email)
    member = await get_user_by_email(db, member_email)
    assert owner is not None and member is not None
    inv = await service.invite(db, owner, slug, email=member_email, role=role)
    await service.accept_invitation(db, member, inv.id)
    await db.commit()
