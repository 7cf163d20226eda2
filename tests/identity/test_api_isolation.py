"""Tenancy: another organisation's member, or a plain member, can read or change nothing."""

from __future__ import annotations

import pytest

from .api_helpers import assert_problem, make_world, snapshot

# (method, path, body): {ada}/{bob}/{ada_token} are filled in with the world's ids.
OUTSIDER_CALLS = [
    ("GET", "/organisations/ada-lab", None),
    ("PATCH", "/organisations/ada-lab", {"name": "Pwned"}),
    ("GET", "/organisations/ada-lab/members", None),
    ("POST", "/organisations/ada-lab/invitations", {"email": "eve@example.eu", "role": "owner"}),
    ("PATCH", "/organisations/ada-lab/members/{ada}", {"role": "member"}),
    ("DELETE", "/organisations/ada-lab/members/{bob}", None),
    ("POST", "/organisations/ada-lab/invitations", {"email": "eve@example.eu"}),
    ("GET", "/projects/ada-proj", None),
    ("PATCH", "/projects/ada-proj", {"name": "Pwned"}),
    ("GET", "/projects/ada-proj/members", None),
    ("POST", "/projects/ada-proj/members", {"email": "eve@example.eu", "role": "pi"}),
    ("PATCH", "/projects/ada-proj/members/{ada}", {"role": "member"}),
    ("DELETE", "/projects/ada-proj/members/{bob}", None),
    (
        "POST",
        "/projects",
        {"slug": "sneaky", "name": "S", "organisation": "ada-lab", "sector": "health"},
    ),
    ("DELETE", "/tokens/{ada_token}", None),
]


def _fill(path: str, world) -> str:
    return path.format(ada=world.ada_id, bob=world.bob_id, ada_token=world.ada_token_id)


@pytest.mark.parametrize("method,path,body", OUTSIDER_CALLS, ids=lambda v: str(v)[:40])
async def test_outsider_gets_404_and_nothing_changes(client, db, method, path, body):
    world = await make_world(client, db)
    before = await snapshot(db)
    r = await client.request(method, "/api/v1" + _fill(path, world), json=body, headers=world.eve)
    problem = assert_problem(r, 404)
    # The message never confirms that the other tenant's object exists.
    assert "ada-lab" not in problem["detail"] or "belong to" in problem["detail"]
    assert await snapshot(db) == before


async def test_outsider_listings_hide_other_tenants(client, db):
    world = await make_world(client, db)
    orgs = (await client.get("/api/v1/organisations", headers=world.eve)).json()
    assert [o["slug"] for o in orgs["items"]] == ["eve-corp"] and orgs["total"] == 1
    projs = (await client.get("/api/v1/projects", headers=world.eve)).json()
    assert [p["slug"] for p in projs["items"]] == ["eve-proj"] and projs["total"] == 1
    filtered = await client.get("/api/v1/projects?organisation=ada-lab", headers=world.eve)
    assert filtered.status_code == 200 and filtered.json()["total"] == 0


# A plain member of Ada's organisation and project: may read, may not manage.
MEMBER_WRITES = [
    ("PATCH", "/organisations/ada-lab", {"name": "Pwned"}, "owners and admins"),
    ("PATCH", "/organisations/ada-lab/members/{ada}", {"role": "member"}, "owners and admins"),
    ("PATCH", "/organisations/ada-lab/members/{bob}", {"role": "owner"}, "owners and admins"),
    ("DELETE", "/organisations/ada-lab/members/{ada}", None, "owners and admins"),
    ("POST", "/organisations/ada-lab/invitations", {"email": "x@example.eu"}, "owners and admins"),
    ("PATCH", "/projects/ada-proj", {"name": "Pwned"}, "PI and managers"),
    ("POST", "/projects/ada-proj/members", {"email": "eve@example.eu"}, "PI and managers"),
    ("PATCH", "/projects/ada-proj/members/{bob}", {"role": "pi"}, "PI and managers"),
    ("PATCH", "/projects/ada-proj/members/{ada}", {"role": "member"}, "PI and managers"),
    ("DELETE", "/projects/ada-proj/members/{ada}", None, "PI and managers"),
]


@pytest.mark.parametrize("method,path,body,needle", MEMBER_WRITES, ids=lambda v: str(v)[:40])
async def test_plain_member_gets_403_and_nothing_changes(client, db, method, path, body, needle):
    world = await make_world(client, db)
    before = await snapshot(db)
    r = await client.request(method, "/api/v1" + _fill(path, world), json=body, headers=world.bob)
    assert_problem(r, 403, needle)
    assert await snapshot(db) == before


async def test_plain_member_reads_but_not_projects_outside_his(client, db):
    world = await make_world(client, db)
    for path in ("/organisations/ada-lab", "/organisations/ada-lab/members", "/projects/ada-proj"):
        assert (await client.get("/api/v1" + path, headers=world.bob)).status_code == 200
    # Bob is in the organisation but not in 'ada-private': it does not exist for him.
    assert_problem(await client.get("/api/v1/projects/ada-private", headers=world.bob), 404)
    listed = (await client.get("/api/v1/projects", headers=world.bob)).json()
    assert [p["slug"] for p in listed["items"]] == ["ada-proj"]
    assert listed["items"][0]["my_role"] == "member"


async def test_member_may_leave_a_project(client, db):
    world = await make_world(client, db)
    r = await client.delete(f"/api/v1/projects/ada-proj/members/{world.bob_id}", headers=world.bob)
    assert r.status_code == 204
    assert_problem(await client.get("/api/v1/projects/ada-proj", headers=world.bob), 404)
