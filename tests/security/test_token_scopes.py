"""API token scopes bound staff powers: only a token with 'admin' acts with the owner's roles."""

from __future__ import annotations

import pytest

from ..factories import make_user, token_for


@pytest.fixture
async def staff_admin(db):
    """A staff administrator and a plain user whose roles the tests try to change."""
    admin = await make_user(db, "root@factory.example", staff=("admin",))
    target = await make_user(db, "eve@example.eu")
    return admin, target


@pytest.mark.parametrize(
    ("scopes", "read_status", "write_status"),
    [
        (("read",), 403, 403),  # neither staff powers nor writes
        (("read", "write"), 403, 403),  # writes, but not with staff powers
        (("read", "admin"), 200, 403),  # staff reads; still read-only
        (("read", "write", "admin"), 200, 200),  # the only way to act as staff admin
    ],
)
async def test_staff_endpoints_need_the_admin_scope(
    client, db, staff_admin, scopes, read_status, write_status
):
    admin, target = staff_admin
    h = await token_for(db, admin, scopes)
    r = await client.get("/api/v1/users", headers=h)
    assert r.status_code == read_status, r.text
    r = await client.get("/api/v1/audit", headers=h)
    assert r.status_code == read_status, r.text
    r = await client.put(
        f"/api/v1/users/{target.id}/staff-roles", json={"roles": ["support"]}, headers=h
    )
    assert r.status_code == write_status, r.text
    if write_status == 403:
        assert r.headers["content-type"].startswith("application/problem+json")
        check = await client.get(
            "/api/v1/users", headers=await token_for(db, admin, ("read", "admin"))
        )
        eve = next(u for u in check.json()["items"] if u["email"] == "eve@example.eu")
        assert eve["staff_roles"] == []


async def test_a_token_without_admin_sees_only_what_the_user_sees(client, db, staff_admin):
    """Staff-wide listings (all organisations) shrink to the owner's own through a plain token."""
    admin, _ = staff_admin
    other = await make_user(db, "pi@example.eu")
    h_other = await token_for(db, other)
    r = await client.post(
        "/api/v1/organisations",
        json={"slug": "labx", "name": "Lab X", "kind": "startup", "country": "FR"},
        headers=h_other,
    )
    assert r.status_code == 201, r.text
    full = await client.get("/api/v1/organisations", headers=await token_for(db, admin))
    assert [o["slug"] for o in full.json()["items"]] == ["labx"]
    plain = await client.get(
        "/api/v1/organisations", headers=await token_for(db, admin, ("read", "write"))
    )
    assert plain.json()["items"] == []
