"""Project pages: create, members and roles, the last PI, other organisations."""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.identity.models import Project, ProjectMember

from ..factories import make_user
from .helpers import HTML, join_by_invitation, login, user_and_login


async def _setup(client, db):
    csrf = await user_and_login(client, db, "pi@example.eu")
    await client.post(
        "/organisations/new",
        data={
            "csrf_token": csrf,
            "slug": "lab",
            "name": "Lab",
            "kind": "academic",
            "country": "FR",
        },
    )
    r = await client.post(
        "/projects/new",
        data={
            "csrf_token": csrf,
            "slug": "llm-fr",
            "name": "LLM fr",
            "organisation": "lab",
            "sector": "health",
            "description": "French LLM",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/projects/llm-fr"
    return csrf


async def test_create_project_and_detail(client, db):
    await _setup(client, db)
    page = await client.get("/projects/llm-fr", headers=HTML)
    assert page.status_code == 200
    assert "Project LLM fr created." in page.text and "You are PI" in page.text
    assert "French LLM" in page.text and 'href="/organisations/lab"' in page.text
    listing = await client.get("/projects", headers=HTML)
    assert 'href="/projects/llm-fr"' in listing.text
    form = await client.get("/projects/new?organisation=lab", headers=HTML)
    assert '<option value="lab" selected>' in form.text


async def test_bad_project_input_inline_and_nothing_created(client, db):
    csrf = await _setup(client, db)
    base = {"csrf_token": csrf, "name": "X", "organisation": "lab", "sector": "health"}
    dup = await client.post("/projects/new", data={**base, "slug": "llm-fr"})
    assert dup.status_code == 422 and "is taken; choose another" in dup.text
    bad = await client.post("/projects/new", data={**base, "slug": "ok-slug", "sector": "magic"})
    assert bad.status_code == 422 and "Choose one of the proposed values." in bad.text
    other = await client.post("/projects/new", data={**base, "slug": "x2", "organisation": "nope"})
    assert other.status_code == 422 and "No organisation &#39;nope&#39;" in other.text
    assert await db.scalar(select(func.count()).select_from(Project)) == 1


async def test_members_roles_and_last_pi(client, db):
    bob = await make_user(db, "bob@example.eu")
    csrf = await _setup(client, db)
    r = await client.post(
        "/projects/llm-fr/members",
        data={"csrf_token": csrf, "email": "nobody@example.eu", "role": "member"},
    )
    assert r.status_code == 422 and "invite them to the organisation first" in r.text
    assert 'value="nobody@example.eu"' in r.text
    # Bob has an account but is outside the organisation: the same answer, nothing added.
    r = await client.post(
        "/projects/llm-fr/members",
        data={"csrf_token": csrf, "email": "bob@example.eu", "role": "manager"},
    )
    assert r.status_code == 422 and "invite them to the organisation first" in r.text
    await join_by_invitation(db, "lab", "pi@example.eu", "bob@example.eu")
    r = await client.post(
        "/projects/llm-fr/members",
        data={"csrf_token": csrf, "email": "bob@example.eu", "role": "manager"},
    )
    assert r.status_code == 303
    pi_id = await db.scalar(select(ProjectMember.user_id).where(ProjectMember.role == "pi"))
    r = await client.post(f"/projects/llm-fr/members/{pi_id}/remove", data={"csrf_token": csrf})
    assert r.status_code == 422 and "last PI" in r.text
    r = await client.post(
        f"/projects/llm-fr/members/{pi_id}/role",
        data={"role": "member"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert r.status_code == 422 and "last PI" in r.text and r.text.strip().startswith("<tr")
    assert await db.scalar(select(ProjectMember.role).where(ProjectMember.user_id == pi_id)) == "pi"
    r = await client.post(
        f"/projects/llm-fr/members/{bob.id}/role", data={"csrf_token": csrf, "role": "pi"}
    )
    assert r.status_code == 303
    r = await client.post(
        f"/projects/llm-fr/members/{pi_id}/role", data={"csrf_token": csrf, "role": "member"}
    )
    assert r.status_code == 303
    roles = dict((await db.execute(select(ProjectMember.user_id, ProjectMember.role))).all())
    assert roles == {bob.id: "pi", pi_id: "member"}


async def test_csrf_on_project_forms(client, db):
    await make_user(db, "bob@example.eu")
    await _setup(client, db)
    r = await client.post(
        "/projects/llm-fr/members", data={"email": "bob@example.eu", "role": "member"}
    )
    assert r.status_code == 403
    assert await db.scalar(select(func.count()).select_from(ProjectMember)) == 1


async def test_another_organisations_project_is_404(client, db):
    await _setup(client, db)
    await make_user(db, "eve@example.eu")
    eve_csrf = await login(client, "eve@example.eu")
    assert (await client.get("/projects/llm-fr", headers=HTML)).status_code == 404
    r = await client.post(
        "/projects/llm-fr/members",
        data={"csrf_token": eve_csrf, "email": "eve@example.eu", "role": "pi"},
        headers=HTML,
    )
    assert r.status_code == 404
    assert await db.scalar(select(func.count()).select_from(ProjectMember)) == 1
    listing = await client.get("/projects", headers=HTML)
    assert "llm-fr" not in listing.text


async def test_a_plain_member_gets_403_when_managing(client, db):
    bob = await make_user(db, "bob@example.eu")
    csrf = await _setup(client, db)
    await join_by_invitation(db, "lab", "pi@example.eu", "bob@example.eu")
    r = await client.post(
        "/projects/llm-fr/members",
        data={"csrf_token": csrf, "email": "bob@example.eu", "role": "member"},
    )
    assert r.status_code == 303
    bob_csrf = await login(client, "bob@example.eu")
    page = await client.get("/projects/llm-fr", headers=HTML)
    assert page.status_code == 200 and "Add a member" not in page.text
    r = await client.post(
        f"/projects/llm-fr/members/{bob.id}/role",
        data={"csrf_token": bob_csrf, "role": "pi"},
        headers=HTML,
    )
    assert r.status_code == 403
    assert await db.scalar(select(ProjectMember.role).where(ProjectMember.user_id == bob.id)) == (
        "member"
    )
