"""Conflicts and role rules: duplicates, the last owner, the last PI, who may grant what."""

from __future__ import annotations

from ..factories import join_org
from .api_helpers import assert_problem, make_world, snapshot

API = "/api/v1"


async def _refused(client, db, world_headers, method, path, body, status, *needles):
    before = await snapshot(db)
    r = await client.request(method, API + path, json=body, headers=world_headers)
    assert_problem(r, status, *needles)
    assert await snapshot(db) == before


async def test_duplicates_are_409(client, db):
    w = await make_world(client, db)
    org = {"slug": "eve-corp", "name": "X", "kind": "sme", "country": "FR"}
    await _refused(client, db, w.ada, "POST", "/organisations", org, 409, "'eve-corp' is taken")
    proj = {"slug": "eve-proj", "name": "X", "organisation": "ada-lab", "sector": "health"}
    await _refused(client, db, w.ada, "POST", "/projects", proj, 409, "'eve-proj' is taken")
    dup = {"email": "BOB@example.eu"}
    await _refused(
        client, db, w.ada, "POST", "/projects/ada-proj/members", dup, 409, "already a member"
    )
    await _refused(
        client, db, w.ada, "POST", "/organisations/ada-lab/invitations", dup, 409, "already"
    )
    inv = {"email": "new@example.eu"}
    r = await client.post(f"{API}/organisations/ada-lab/invitations", json=inv, headers=w.ada)
    assert r.status_code == 201
    await _refused(
        client, db, w.ada, "POST", "/organisations/ada-lab/invitations", inv, 409, "pending"
    )


async def test_unknown_users_are_404_with_a_hint(client, db):
    w = await make_world(client, db)
    ghost = {"email": "ghost@example.eu"}
    await _refused(client, db, w.ada, "POST", "/projects/ada-proj/members", ghost, 404, "invite")
    role = {"role": "member"}
    await _refused(
        client,
        db,
        w.ada,
        "PATCH",
        f"/organisations/ada-lab/members/{w.eve_id}",
        role,
        404,
        "not a member",
    )
    await _refused(
        client,
        db,
        w.ada,
        "PATCH",
        f"/projects/ada-proj/members/{w.eve_id}",
        role,
        404,
        "not a member",
    )
    await _refused(
        client, db, w.ada, "DELETE", "/projects/ada-proj/members/999999", None, 404, "not a member"
    )
    await _refused(client, db, w.ada, "GET", "/projects/no-such", None, 404, "no-such")


async def test_last_owner_cannot_go(client, db):
    w = await make_world(client, db)
    path = f"/organisations/ada-lab/members/{w.ada_id}"
    await _refused(client, db, w.ada, "PATCH", path, {"role": "admin"}, 409, "last owner")
    await _refused(client, db, w.ada, "DELETE", path, None, 409, "last owner")
    # With a second owner, the first may step down.
    bob_path = f"{API}/organisations/ada-lab/members/{w.bob_id}"
    r = await client.patch(bob_path, json={"role": "owner"}, headers=w.ada)
    assert r.status_code == 200 and r.json()["role"] == "owner"
    r = await client.patch(API + path, json={"role": "admin"}, headers=w.ada)
    assert r.status_code == 200 and r.json()["role"] == "admin"
    # Now Ada is an admin: she may not touch the owner role any more.
    await _refused(client, db, w.ada, "PATCH", path, {"role": "owner"}, 403, "Only owners")


async def test_admin_cannot_name_owners(client, db):
    w = await make_world(client, db)
    r = await client.patch(
        f"{API}/organisations/ada-lab/members/{w.bob_id}", json={"role": "admin"}, headers=w.ada
    )
    assert r.status_code == 200
    body = {"email": "eve@example.eu", "role": "owner"}
    await _refused(
        client, db, w.bob, "POST", "/organisations/ada-lab/invitations", body, 403, "Only owners"
    )
    await _refused(
        client,
        db,
        w.bob,
        "PATCH",
        f"/organisations/ada-lab/members/{w.ada_id}",
        {"role": "member"},
        403,
        "Only owners",
    )


async def test_last_pi_cannot_go(client, db):
    w = await make_world(client, db)
    path = f"/projects/ada-proj/members/{w.ada_id}"
    await _refused(client, db, w.ada, "PATCH", path, {"role": "manager"}, 409, "last PI")
    await _refused(client, db, w.ada, "DELETE", path, None, 409, "last PI")
    bob_path = f"{API}/projects/ada-proj/members/{w.bob_id}"
    assert (await client.patch(bob_path, json={"role": "pi"}, headers=w.ada)).status_code == 200
    r = await client.patch(API + path, json={"role": "manager"}, headers=w.ada)
    assert r.status_code == 200 and r.json()["role"] == "manager"


async def test_manager_cannot_grant_or_remove_pi(client, db):
    w = await make_world(client, db)
    bob_path = f"{API}/projects/ada-proj/members/{w.bob_id}"
    assert (
        await client.patch(bob_path, json={"role": "manager"}, headers=w.ada)
    ).status_code == 200
    ada_path = f"/projects/ada-proj/members/{w.ada_id}"
    await _refused(client, db, w.bob, "PATCH", ada_path, {"role": "member"}, 403, "Only a PI")
    await _refused(client, db, w.bob, "DELETE", ada_path, None, 403, "Only a PI")
    body = {"email": "eve@example.eu", "role": "pi"}
    await _refused(client, db, w.bob, "POST", "/projects/ada-proj/members", body, 403, "Only a PI")
    await _refused(
        client,
        db,
        w.bob,
        "PATCH",
        f"/projects/ada-proj/members/{w.bob_id}",
        {"role": "pi"},
        403,
        "Only a PI",
    )
    # A manager may add plain members (of the organisation) and change the project itself.
    await join_org(client, w.ada, "ada-lab", "eve@example.eu", w.eve)
    r = await client.post(
        f"{API}/projects/ada-proj/members", json={"email": "eve@example.eu"}, headers=w.bob
    )
    assert r.status_code == 201
    r = await client.patch(f"{API}/projects/ada-proj", json={"name": "Renamed"}, headers=w.bob)
    assert r.status_code == 200 and r.json()["name"] == "Renamed"


async def test_project_in_an_organisation_one_does_not_belong_to(client, db):
    w = await make_world(client, db)
    body = {"slug": "p2", "name": "P2", "organisation": "eve-corp", "sector": "health"}
    await _refused(client, db, w.ada, "POST", "/projects", body, 404, "eve-corp")
    body = {**body, "organisation": "no-such-org"}
    await _refused(client, db, w.ada, "POST", "/projects", body, 404, "no-such-org")


async def test_invitation_lifecycle_conflicts(client, db):
    w = await make_world(client, db)
    r = await client.post(
        f"{API}/organisations/eve-corp/invitations",
        json={"email": "ada@example.eu", "role": "admin"},
        headers=w.eve,
    )
    inv = r.json()
    # Bob cannot accept an invitation addressed to Ada.
    await _refused(client, db, w.bob, "POST", f"/invitations/{inv['id']}/accept", None, 404, "")
    mine = (await client.get(f"{API}/invitations", headers=w.ada)).json()
    assert [i["org_slug"] for i in mine] == ["eve-corp"]
    r = await client.post(f"{API}/invitations/{inv['id']}/accept", headers=w.ada)
    assert r.status_code == 200 and r.json()["accepted_at"]
    await _refused(
        client, db, w.ada, "POST", f"/invitations/{inv['id']}/accept", None, 409, "already used"
    )
    org = (await client.get(f"{API}/organisations/eve-corp", headers=w.ada)).json()
    assert org["my_role"] == "admin"
