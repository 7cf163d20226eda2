"""Helpers that create users, organisations and projects through the real services."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.identity import credentials
from aifhub.identity.models import User
from aifhub.identity.service import create_user
from aifhub.schemas import identity as schemas

PASSWORD = "correct horse battery"


async def make_user(
    db: AsyncSession,
    email: str,
    *,
    name: str | None = None,
    staff: tuple[str, ...] = (),
    verified: bool = True,
) -> User:
    """A local user with the standard test password (address verified unless told), committed."""
    user = await create_user(
        db,
        email=email,
        name=name or email.split("@")[0].title(),
        password=PASSWORD,
        staff_roles=staff,
        email_verified=verified,
    )
    await db.commit()
    return user


async def token_for(
    db: AsyncSession, user: User, scopes: tuple[str, ...] | None = None
) -> dict[str, str]:
    """Authorization headers with a fresh API token of this user.

    By default read and write, plus 'admin' for staff (their staff powers need it).
    """
    if scopes is None:
        scopes = ("read", "write", "admin") if user.is_staff else ("read", "write")
    _, secret = await credentials.create_token(
        db, user, data=schemas.TokenCreate(name="test", scopes=list(scopes))
    )
    await db.commit()
    return {"Authorization": f"Bearer {secret}"}


async def api_user(db: AsyncSession, email: str, *, staff: tuple[str, ...] = ()) -> dict[str, str]:
    """Create a user and return their API headers."""
    return await token_for(db, await make_user(db, email, staff=staff))


async def make_org(
    client: httpx.AsyncClient, headers: dict[str, str], slug: str, **fields: object
) -> dict:
    """Create an organisation through the API."""
    body = {
        "slug": slug,
        "name": slug.title(),
        "kind": "startup",
        "country": "FR",
        "sectors": ["health"],
        **fields,
    }
    r = await client.post("/api/v1/organisations", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def make_project(
    client: httpx.AsyncClient, headers: dict[str, str], slug: str, org: str, **fields: object
) -> dict:
    """Open a project through the API."""
    body = {"slug": slug, "name": slug.title(), "organisation": org, "sector": "health", **fields}
    r = await client.post("/api/v1/projects", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def join_org(
    client: httpx.AsyncClient,
    owner: dict[str, str],
    slug: str,
    email: str,
    member: dict[str, str],
    *,
    role: str = "member",
) -> None:
    """Bring someone into an organisation the only way there is: invited, then accepting."""
    r = await client.post(
        f"/api/v1/organisations/{slug}/invitations",
        json={"email": email, "role": role},
        headers=owner,
    )
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/v1/invitations/{r.json()['id']}/accept", headers=member)
    assert r.status_code == 200, r.text
