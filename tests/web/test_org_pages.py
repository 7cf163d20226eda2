"""Organisation pages: create with inline errors, members, roles, invitations, isolation."""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.identity.models import Invitation, Organisation, OrgMembership

from ..factories import make_user
from .helpers import HTML, join_by_invitation, login, user_and_login

ORG = {"slug": "acme", "name": "Acme", "kind": "sme", "country": "FR", "sectors": ["health"]}


async def _org(client, csrf, **fields):
    r = await client.post("/organisations/new", data={"csrf_token": csrf, **ORG, **fields})
    assert r.status_code == 303, r.text
    return r


async def test_create_organisation_and_see_it(client, db):
    csrf = await user_and_login(client, db, "ada@example.eu")
    form = await client.get("/organisations/new", headers=HTML)
    assert form.status_code == 200 and 'value="FR" selected' in form.text
    r = await _org(client, csrf, sectors=["health", "energy"])
    assert r.headers["location"] == "/organisations/acme"
    page = await client.get("/organisations/acme", headers=HTML)
    assert page.status_code == 200 and "Organisation Acme created." in page.text
    assert "Health" in page.text and "Energy" in page.text and "You are Owner" in page.text
    listing = await client.get("/organisations", headers=HTML)
    assert 'href="/organisations/acme"' in listing.text


async def test_bad_organisation_input_is_shown_inline_and_nothing_is_created(client, db):
    csrf = await user_and_login(client, db, "ada@example.eu")
    r = await client.post(
        "/organisations/new",
        data={"csrf_token": csrf, **ORG, "slug": "Not A Slug!", "country": "XX", "name": ""},
    )
    assert r.status_code == 422
    assert "Use lowercase letters, digits and dashes" in r.text
    assert "Choose a country from the list" in r.text
    assert "This field is required." in r.text
    assert 'value="Not A Slug!"' in r.text  # the form keeps what was typed
    await _org(client, csrf)
    dup = await client.post("/organisations/new", data={"csrf_token": csrf, **ORG, "name": "B"})
    assert dup.status_code == 422 and "slug &#39;acme&#39; is taken" in dup.text
    assert await db.scalar(select(func.count()).select_from(Organisation)) == 1


async def test_csrf_missing_or_wrong_changes_nothing(client, db):
    csrf = await user_and_login(client, db, "ada@example.eu")
    r = await client.post("/organisations/new", data=ORG)
    assert r.status_code == 403 and "security token" in r.text
    r = await client.post("/organisations/new", data={**ORG, "csrf_token": csrf + "x"})
    assert r.status_code == 403
    r = await client.post("/organisations/new", data=ORG, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 303  # HTMX sends the token as a header
    assert await db.scalar(select(func.count()).select_from(Organisation)) == 1


async def test_members_invite_add_role_and_last_owner(client, db):
    await make_user(db, "bob@example.eu")
    csrf = await user_and_login(client, db, "ada@example.eu")
    await _org(client, csrf)
    r = await client.post(
        "/organisations/acme/invite",
        data={"csrf_token": csrf, "email": "new@example.eu", "role": "member"},
    )
    assert r.status_code == 303
    again = await client.post(
        "/organisations/acme/invite",
        data={"csrf_token": csrf, "email": "new@example.eu", "role": "member"},
    )
    assert again.status_code == 422 and "already has a pending invitation" in again.text
    assert await db.scalar(select(func.count()).select_from(Invitation)) == 1
    # No direct add any more: Bob joins by accepting an invitation.
    page = await client.get("/organisations/acme", headers=HTML)
    assert 'id="add-member"' not in page.text
    await join_by_invitation(db, "acme", "ada@example.eu", "bob@example.eu", "admin")
    page = await client.get("/organisations/acme", headers=HTML)
    assert "bob@example.eu" in page.text
    ada_id = await db.scalar(select(OrgMembership.user_id).where(OrgMembership.role == "owner"))
    # the last owner cannot step down: inline error, nothing changed
    r = await client.post(
        f"/organisations/acme/members/{ada_id}/role", data={"csrf_token": csrf, "role": "member"}
    )
    assert r.status_code == 422 and "last owner" in r.text
    r = await client.post(f"/organisations/acme/members/{ada_id}/remove", data={"csrf_token": csrf})
    assert r.status_code == 422 and "last owner" in r.text
    roles = set(await db.scalars(select(OrgMembership.role)))
    assert roles == {"owner", "admin"}


async def test_role_change_with_htmx_swaps_the_row(client, db):
    bob = await make_user(db, "bob@example.eu")
    csrf = await user_and_login(client, db, "ada@example.eu")
    await _org(client, csrf)
    await join_by_invitation(db, "acme", "ada@example.eu", "bob@example.eu")
    r = await client.post(
        f"/organisations/acme/members/{bob.id}/role",
        data={"role": "admin"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert r.status_code == 200 and r.text.strip().startswith(f'<tr id="member-{bob.id}">')
    assert '<option value="admin" selected>' in r.text
    r = await client.post(
        f"/organisations/acme/members/{bob.id}/role",
        data={"role": "emperor"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert r.status_code == 422 and "Choose one of the proposed values." in r.text
    r = await client.post(f"/organisations/acme/members/{bob.id}/remove", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert await db.scalar(select(func.count()).select_from(OrgMembership)) == 1


async def test_other_users_cannot_see_or_change_an_organisation(client, db):
    csrf = await user_and_login(client, db, "ada@example.eu")
    await _org(client, csrf)
    await make_user(db, "eve@example.eu")
    eve_csrf = await login(client, "eve@example.eu")
    assert (await client.get("/organisations/acme", headers=HTML)).status_code == 404
    r = await client.post(
        "/organisations/acme/invite",
        data={"csrf_token": eve_csrf, "email": "eve2@example.eu", "role": "owner"},
        headers=HTML,
    )
    assert r.status_code == 404
    assert await db.scalar(select(func.count()).select_from(Invitation)) == 0
    listing = await client.get("/organisations", headers=HTML)
    assert "acme" not in listing.text


async def test_a_plain_member_gets_403_on_manager_actions(client, db):
    await make_user(db, "bob@example.eu")
    csrf = await user_and_login(client, db, "ada@example.eu")
    await _org(client, csrf)
    await join_by_invitation(db, "acme", "ada@example.eu", "bob@example.eu")
    bob_csrf = await login(client, "bob@example.eu")
    page = await client.get("/organisations/acme", headers=HTML)
    assert page.status_code == 200 and "Send invitation" not in page.text
    r = await client.post(
        "/organisations/acme/invite",
        data={"csrf_token": bob_csrf, "email": "x@example.eu", "role": "member"},
        headers=HTML,
    )
    assert r.status_code == 403
    assert await db.scalar(select(func.count()).select_from(Invitation)) == 1  # Bob's own, accepted
