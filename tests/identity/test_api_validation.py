"""Malformed input on every identity endpoint: 422 naming the field, and nothing changed."""

from __future__ import annotations

import pytest

from .api_helpers import assert_problem, make_world, snapshot

LONG = "x" * 10_000
ORG = {"slug": "new-org", "name": "New", "kind": "startup", "country": "FR", "sectors": ["health"]}
PROJ = {"slug": "new-proj", "name": "New", "organisation": "ada-lab", "sector": "health"}
TOKEN = {"name": "t", "scopes": ["read"]}

# (method, path, body, field the message must name)
BAD_BODIES = [
    ("POST", "/organisations", {**ORG, "slug": "has space"}, "slug"),
    ("POST", "/organisations", {**ORG, "slug": "ünïcode"}, "slug"),
    ("POST", "/organisations", {**ORG, "slug": "a"}, "slug"),
    ("POST", "/organisations", {**ORG, "slug": "x" * 65}, "slug"),
    ("POST", "/organisations", {**ORG, "slug": "-dash-first"}, "slug"),
    ("POST", "/organisations", {**ORG, "slug": "a_b"}, "slug"),
    ("POST", "/organisations", {**ORG, "slug": "UPPER"}, "slug"),
    ("POST", "/organisations", {**ORG, "name": LONG}, "name"),
    ("POST", "/organisations", {**ORG, "name": "   "}, "name"),
    ("POST", "/organisations", {**ORG, "kind": "charity"}, "kind"),
    ("POST", "/organisations", {**ORG, "country": "XX"}, "country"),
    ("POST", "/organisations", {**ORG, "country": "France"}, "country"),
    ("POST", "/organisations", {**ORG, "sectors": ["astrology"]}, "sectors.0"),
    ("POST", "/organisations", {**ORG, "sectors": "health"}, "sectors"),
    ("POST", "/organisations", {**ORG, "website": "javascript:alert(1)"}, "website"),
    ("POST", "/organisations", {**ORG, "website": "https://" + LONG}, "website"),
    ("POST", "/organisations", {**ORG, "owner_id": 1}, "owner_id"),
    ("POST", "/organisations", {k: v for k, v in ORG.items() if k != "name"}, "name"),
    ("PATCH", "/organisations/ada-lab", {"slug": "renamed"}, "slug"),
    ("PATCH", "/organisations/ada-lab", {"country": "ZZ"}, "country"),
    ("PATCH", "/organisations/ada-lab", {"kind": "charity"}, "kind"),
    ("PATCH", "/organisations/ada-lab", {"name": LONG}, "name"),
    ("PATCH", "/organisations/ada-lab", {"sectors": ["astrology"]}, "sectors.0"),
    ("POST", "/organisations/ada-lab/invitations", {"email": "not-an-email"}, "email"),
    (
        "POST",
        "/organisations/ada-lab/invitations",
        {"email": "eve@example.eu", "role": "god"},
        "role",
    ),
    ("POST", "/organisations/ada-lab/invitations", {"email": "eve@example.eu", "x": 1}, "x"),
    ("PATCH", "/organisations/ada-lab/members/{bob}", {"role": "superuser"}, "role"),
    ("PATCH", "/organisations/ada-lab/members/{bob}", {}, "role"),
    ("PATCH", "/organisations/ada-lab/members/not-a-number", {"role": "admin"}, "user_id"),
    ("POST", "/organisations/ada-lab/invitations", {"email": "a@@b"}, "email"),
    ("POST", "/organisations/ada-lab/invitations", {"email": "x@example.eu", "role": "x"}, "role"),
    ("POST", "/projects", {**PROJ, "slug": "Has Space"}, "slug"),
    ("POST", "/projects", {**PROJ, "slug": "日本語"}, "slug"),
    ("POST", "/projects", {**PROJ, "name": LONG}, "name"),
    ("POST", "/projects", {**PROJ, "sector": "astrology"}, "sector"),
    ("POST", "/projects", {**PROJ, "organisation": "Not A Slug"}, "organisation"),
    ("POST", "/projects", {**PROJ, "description": "d" * 20_001}, "description"),
    ("POST", "/projects", {**PROJ, "status": "closed"}, "status"),
    ("PATCH", "/projects/ada-proj", {"slug": "renamed"}, "slug"),
    ("PATCH", "/projects/ada-proj", {"organisation": "eve-corp"}, "organisation"),
    ("PATCH", "/projects/ada-proj", {"sector": "astrology"}, "sector"),
    ("PATCH", "/projects/ada-proj", {"name": ""}, "name"),
    ("POST", "/projects/ada-proj/members", {"email": "bob", "role": "member"}, "email"),
    ("POST", "/projects/ada-proj/members", {"email": "eve@example.eu", "role": "owner"}, "role"),
    ("PATCH", "/projects/ada-proj/members/{bob}", {"role": "admin"}, "role"),
    ("PATCH", "/projects/ada-proj/members/{bob}", {"role": "pi", "why": "x"}, "why"),
    ("POST", "/tokens", {**TOKEN, "name": ""}, "name"),
    ("POST", "/tokens", {**TOKEN, "name": LONG}, "name"),
    ("POST", "/tokens", {**TOKEN, "scopes": ["sudo"]}, "scopes.0"),
    ("POST", "/tokens", {**TOKEN, "scopes": []}, "scopes"),
    ("POST", "/tokens", {**TOKEN, "expires_in_days": 0}, "expires_in_days"),
    ("POST", "/tokens", {**TOKEN, "expires_in_days": 10_000}, "expires_in_days"),
    ("POST", "/tokens", {**TOKEN, "user_id": 1}, "user_id"),
    ("PATCH", "/me", {"locale": "de"}, "locale"),
    ("PATCH", "/me", {"name": LONG}, "name"),
    ("PATCH", "/me", {"email": "new@example.eu"}, "email"),
    ("DELETE", "/tokens/abc", None, "token_id"),
]


@pytest.mark.parametrize("method,path,body,field", BAD_BODIES, ids=lambda v: str(v)[:30])
async def test_bad_body_is_422_naming_the_field(client, db, method, path, body, field):
    world = await make_world(client, db)
    before = await snapshot(db)
    path = path.format(bob=world.bob_id)
    r = await client.request(method, "/api/v1" + path, json=body, headers=world.ada)
    problem = assert_problem(r, 422, f"{field}:")
    assert field in {e["field"] for e in problem["errors"]}
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    "query,field",
    [("limit=0", "limit"), ("limit=501", "limit"), ("offset=-1", "offset"), ("limit=x", "limit")],
)
@pytest.mark.parametrize("path", ["/projects", "/organisations"])
async def test_bad_pagination_is_422(client, db, path, query, field):
    world = await make_world(client, db)
    r = await client.get(f"/api/v1{path}?{query}", headers=world.ada)
    assert_problem(r, 422, f"{field}:")


async def test_malformed_json_and_wrong_types(client, db):
    world = await make_world(client, db)
    before = await snapshot(db)
    r = await client.post(
        "/api/v1/organisations",
        content=b'{"slug": "x",',
        headers={**world.ada, "content-type": "application/json"},
    )
    assert_problem(r, 422, "json")
    r = await client.post("/api/v1/projects", json=["not", "an", "object"], headers=world.ada)
    assert_problem(r, 422)
    r = await client.post("/api/v1/tokens/login", json={"email": "x", "password": "y", "name": "z"})
    assert_problem(r, 422, "email:")
    assert await snapshot(db) == before


async def test_uppercase_slug_is_refused_with_a_hint_country_is_normalised(client, db):
    world = await make_world(client, db)
    r = await client.post("/api/v1/organisations", json={**ORG, "slug": "MyLab"}, headers=world.ada)
    assert_problem(r, 422, "slug:", "lowercase")
    body = {**ORG, "slug": "  my-lab  ", "country": "de"}
    r = await client.post("/api/v1/organisations", json=body, headers=world.ada)
    assert r.status_code == 201, r.text
    assert (r.json()["slug"], r.json()["country"]) == ("my-lab", "DE")
