"""The identity API end to end: sign-in, organisations, projects, roles, tokens."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from aifhub.core.audit import AuditEvent
from aifhub.core.db import utcnow
from aifhub.identity.models import ApiToken, Project

from ..factories import PASSWORD, api_user, make_org, make_project, make_user


async def test_login_me_and_tokens(client, db):
    await make_user(db, "ada@example.eu")
    r = await client.post(
        "/api/v1/tokens/login",
        json={"email": "ADA@example.eu", "password": PASSWORD, "name": "cli"},
    )
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert token.startswith("aifh_")
    headers = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/v1/me", headers=headers)
    assert me.json()["email"] == "ada@example.eu"
    stored = await db.scalar(select(ApiToken.digest))
    assert stored != token and len(stored) == 64


async def test_wrong_password_and_rate_limit(client, db):
    await make_user(db, "bob@example.eu")
    for _ in range(5):
        r = await client.post(
            "/api/v1/tokens/login",
            json={"email": "bob@example.eu", "password": "wrong-password", "name": "x"},
        )
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post(
        "/api/v1/tokens/login",
        json={"email": "bob@example.eu", "password": PASSWORD, "name": "x"},
    )
    assert r.status_code == 429
    assert "Too many failed sign-in attempts" in r.json()["detail"]


async def test_org_and_project_lifecycle(client, db):
    h = await api_user(db, "pi@example.eu")
    org = await make_org(client, h, "mistral-like", sectors=["health", "energy"])
    assert org["my_role"] == "owner"
    proj = await make_project(client, h, "llm-fr", "mistral-like")
    assert proj["my_role"] == "pi" and proj["organisation"] == "mistral-like"
    listing = (await client.get("/api/v1/projects", headers=h)).json()
    assert listing["total"] == 1 and listing["items"][0]["slug"] == "llm-fr"
    n = await db.scalar(select(func.count()).select_from(AuditEvent))
    assert n >= 3  # user.create, token.create, org.create, project.create


async def test_other_org_cannot_read_or_change_project(client, db):
    h1 = await api_user(db, "one@example.eu")
    h2 = await api_user(db, "two@example.eu")
    await make_org(client, h1, "org-one")
    await make_project(client, h1, "secret-proj", "org-one")
    assert (await client.get("/api/v1/projects/secret-proj", headers=h2)).status_code == 404
    r = await client.patch("/api/v1/projects/secret-proj", json={"name": "pwned"}, headers=h2)
    assert r.status_code == 404
    assert (await client.get("/api/v1/projects", headers=h2)).json()["total"] == 0
    name = await db.scalar(select(Project.name).where(Project.slug == "secret-proj"))
    assert name == "Secret-Proj"


async def test_expired_and_revoked_tokens(client, db):
    h = await api_user(db, "exp@example.eu")
    await db.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    r = await client.get("/api/v1/me", headers=h)
    assert r.status_code == 401 and "expired" in r.json()["detail"]
