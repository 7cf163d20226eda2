"""Account (profile, tokens) and staff pages (audit log, users and staff roles)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from aifhub.core.audit import AuditEvent
from aifhub.identity.models import ApiToken, StaffRoleGrant, User

from ..factories import make_user
from .helpers import HTML, login, user_and_login


async def test_profile_and_language(client, db):
    csrf = await user_and_login(client, db, "ada@example.eu")
    r = await client.post(
        "/account/profile", data={"csrf_token": csrf, "name": "Ada L.", "locale": "fr"}
    )
    assert r.status_code == 303
    assert any(c.startswith("lang=fr") for c in r.headers.get_list("set-cookie"))
    page = await client.get("/account", headers=HTML)
    assert "Votre profil est enregistré." in page.text and "Ada L." in page.text
    bad = await client.post(
        "/account/profile", data={"csrf_token": csrf, "name": "Ada", "locale": "de"}
    )
    assert bad.status_code == 422
    assert await db.scalar(select(User.locale)) == "fr"


async def test_tokens_create_once_list_and_revoke(client, db):
    csrf = await user_and_login(client, db, "ada@example.eu")
    bad = await client.post(
        "/account/tokens",
        data={"csrf_token": csrf, "name": "", "expires_in_days": "90"},
    )
    assert bad.status_code == 422 and "This field is required." in bad.text
    assert "Choose at least one." in bad.text
    assert await db.scalar(select(func.count()).select_from(ApiToken)) == 0
    r = await client.post(
        "/account/tokens",
        data={"csrf_token": csrf, "name": "laptop", "scopes": ["read"], "expires_in_days": "30"},
    )
    assert r.status_code == 200
    secret = re.search(r"(aifh_[A-Za-z0-9_\-]+)", r.text).group(1)
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    page = await client.get("/account", headers=HTML)
    assert "laptop" in page.text and secret not in page.text  # shown once
    token_id = await db.scalar(select(ApiToken.id))
    r = await client.post(
        f"/account/tokens/{token_id}/revoke",
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert r.status_code == 200 and "revoked" in r.text and r.text.strip().startswith("<tr")
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 401
    never = await client.post(
        "/account/tokens",
        data={
            "csrf_token": csrf,
            "name": "ci",
            "scopes": ["read", "write"],
            "expires_in_days": "never",
        },
    )
    assert never.status_code == 200
    assert await db.scalar(select(ApiToken.expires_at).where(ApiToken.name == "ci")) is None


async def test_token_revoke_of_someone_else_is_404(client, db):
    csrf = await user_and_login(client, db, "ada@example.eu")
    await client.post(
        "/account/tokens",
        data={"csrf_token": csrf, "name": "t", "scopes": ["read"], "expires_in_days": "30"},
    )
    token_id = await db.scalar(select(ApiToken.id))
    await make_user(db, "eve@example.eu")
    eve = await login(client, "eve@example.eu")
    r = await client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": eve}, headers=HTML
    )
    assert r.status_code == 404
    assert await db.scalar(select(ApiToken.revoked_at)) is None


async def test_api_tokens_do_not_open_pages(client, db):
    csrf = await user_and_login(client, db, "ada@example.eu")
    r = await client.post(
        "/account/tokens",
        data={"csrf_token": csrf, "name": "t", "scopes": ["read"], "expires_in_days": "30"},
    )
    secret = re.search(r"(aifh_[A-Za-z0-9_\-]+)", r.text).group(1)
    client.cookies.clear()
    page = await client.get("/", headers={**HTML, "Authorization": f"Bearer {secret}"})
    assert page.status_code == 303


async def test_audit_log_is_staff_only_with_filters_and_pages(client, db):
    await make_user(db, "ada@example.eu")
    await login(client, "ada@example.eu")
    assert (await client.get("/staff/audit", headers=HTML)).status_code == 403
    csrf = await user_and_login(client, db, "staff@example.eu", staff=("support",))
    for i in range(3):
        await client.post(
            "/organisations/new",
            data={
                "csrf_token": csrf,
                "slug": f"org-{i}",
                "name": f"Org {i}",
                "kind": "sme",
                "country": "FR",
            },
        )
    page = await client.get("/staff/audit?limit=2", headers=HTML)
    assert page.status_code == 200 and "Next" in page.text
    total = await db.scalar(select(func.count()).select_from(AuditEvent))
    assert f"{total} events" in page.text
    only = await client.get("/staff/audit?action=org.create", headers=HTML)
    assert only.text.count(">org.create</a>") == 3 and "session.open" not in only.text
    assert "3 events" in only.text
    nav = await client.get("/", headers=HTML)
    assert 'href="/staff/audit"' in nav.text and 'href="/staff/users"' not in nav.text


async def test_staff_users_admin_only_and_last_admin(client, db):
    await make_user(db, "sup@example.eu", staff=("support",))
    await login(client, "sup@example.eu")
    assert (await client.get("/staff/users", headers=HTML)).status_code == 403
    bob = await make_user(db, "bob@example.eu")
    csrf = await user_and_login(client, db, "root@example.eu", staff=("admin",))
    page = await client.get("/staff/users?q=bob", headers=HTML)
    assert page.status_code == 200 and "bob@example.eu" in page.text
    assert "root@example.eu" not in page.text.split("<tbody>")[1]
    r = await client.post(
        f"/staff/users/{bob.id}/roles", data={"csrf_token": csrf, "roles": ["reviewer"]}
    )
    assert r.status_code == 303
    root_id = await db.scalar(select(User.id).where(User.email == "root@example.eu"))
    r = await client.post(f"/staff/users/{root_id}/roles", data={"csrf_token": csrf})
    assert r.status_code == 422 and "last staff admin" in r.text
    r = await client.post(
        f"/staff/users/{bob.id}/roles", data={"csrf_token": "no", "roles": ["admin"]}
    )
    assert r.status_code == 403
    grants = set((await db.execute(select(StaffRoleGrant.user_id, StaffRoleGrant.role))).all())
    assert (bob.id, "reviewer") in grants and (root_id, "admin") in grants
    assert (bob.id, "admin") not in grants
