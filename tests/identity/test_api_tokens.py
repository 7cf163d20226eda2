"""Bearer tokens: unknown, malformed, expired, revoked, read-only, and scope escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from aifhub.core.db import utcnow
from aifhub.identity.models import ApiToken, User

from ..factories import make_user, token_for
from .api_helpers import assert_problem, make_world, snapshot

API = "/api/v1"
WRITES = [
    ("POST", "/organisations", {"slug": "ro-org", "name": "R", "kind": "sme", "country": "FR"}),
    ("PATCH", "/organisations/ada-lab", {"name": "Changed"}),
    ("POST", "/organisations/ada-lab/invitations", {"email": "eve@example.eu"}),
    ("POST", "/organisations/ada-lab/invitations", {"email": "x@example.eu"}),
    (
        "POST",
        "/projects",
        {"slug": "ro", "name": "R", "organisation": "ada-lab", "sector": "health"},
    ),
    ("PATCH", "/projects/ada-proj", {"name": "Changed"}),
    ("POST", "/projects/ada-proj/members", {"email": "eve@example.eu"}),
    ("DELETE", "/projects/ada-proj/members/{bob}", None),
    ("POST", "/tokens", {"name": "more", "scopes": ["read"]}),
    ("PATCH", "/me", {"name": "Changed"}),
]


@pytest.mark.parametrize("method,path,body", WRITES, ids=lambda v: str(v)[:30])
async def test_read_only_token_cannot_write(client, db, method, path, body):
    w = await make_world(client, db)
    ada = await db.get(User, w.ada_id)
    ro = await token_for(db, ada, scopes=("read",))
    assert (await client.get(f"{API}/projects/ada-proj", headers=ro)).status_code == 200
    before = await snapshot(db)
    r = await client.request(method, API + path.format(bob=w.bob_id), json=body, headers=ro)
    assert_problem(r, 403, "read-only", "write")
    assert await snapshot(db) == before


async def test_token_cannot_mint_more_scopes(client, db):
    w = await make_world(client, db)
    before = await snapshot(db)
    r = await client.post(
        f"{API}/tokens", json={"name": "escalate", "scopes": ["read", "admin"]}, headers=w.ada
    )
    assert_problem(r, 403, "scopes it does not have")
    assert await snapshot(db) == before
    r = await client.post(
        f"{API}/tokens", json={"name": "narrow", "scopes": ["read"]}, headers=w.ada
    )
    assert r.status_code == 201 and r.json()["scopes"] == ["read"]


@pytest.mark.parametrize(
    "header,needle",
    [
        ("Bearer aifh_not-a-real-token", "Unknown API token"),
        ("Basic YWRhOnB3", "Bearer"),
        ("Bearer ", "Bearer"),
        ("aifh_without_scheme", "Bearer"),
    ],
)
async def test_bad_credentials_are_401(client, db, header, needle):
    await make_world(client, db)
    before = await snapshot(db)
    r = await client.post(
        f"{API}/organisations",
        json={"slug": "x-org", "name": "X", "kind": "sme", "country": "FR"},
        headers={"Authorization": header},
    )
    assert_problem(r, 401, needle)
    assert r.headers["www-authenticate"] == "Bearer"
    assert_problem(await client.get(f"{API}/projects"), 401, "Sign in")
    assert await snapshot(db) == before


async def test_expired_revoked_and_disabled(client, db):
    user = await make_user(db, "old@example.eu")
    h = await token_for(db, user)
    assert (await client.get(f"{API}/me", headers=h)).status_code == 200
    await db.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    assert_problem(await client.get(f"{API}/me", headers=h), 401, "expired")

    h2 = await token_for(db, user)
    tokens = (await client.get(f"{API}/tokens", headers=h2)).json()
    newest = tokens[0]["id"]
    r = await client.delete(f"{API}/tokens/{newest}", headers=h2)
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert_problem(await client.get(f"{API}/me", headers=h2), 401, "revoked")

    h3 = await token_for(db, user)
    before = await snapshot(db)
    assert_problem(await client.delete(f"{API}/tokens/{newest}", headers=h3), 409, "already")
    assert await snapshot(db) == before
    await db.execute(update(User).values(is_active=False))
    await db.commit()
    assert_problem(await client.get(f"{API}/me", headers=h3), 401, "disabled")
    r = await client.post(
        f"{API}/tokens/login",
        json={"email": "old@example.eu", "password": "correct horse battery", "name": "x"},
    )
    assert_problem(r, 401, "Wrong e-mail or password")


async def test_cannot_revoke_someone_elses_token(client, db):
    w = await make_world(client, db)
    before = await snapshot(db)
    r = await client.delete(f"{API}/tokens/{w.ada_token_id}", headers=w.eve)
    assert_problem(r, 404, "of yours")
    assert await snapshot(db) == before
    assert (await client.get(f"{API}/me", headers=w.ada)).status_code == 200
