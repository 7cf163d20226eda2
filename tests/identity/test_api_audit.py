"""Every state change through the API writes exactly one audit row, with actor and address."""

from __future__ import annotations

from sqlalchemy import select

from aifhub.core.audit import AuditEvent

from ..factories import PASSWORD
from .api_helpers import make_world

API = "/api/v1"


async def _new_events(db, after_id: int) -> list[AuditEvent]:
    await db.commit()
    rows = await db.scalars(
        select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id)
    )
    events = list(rows)
    await db.commit()
    return events


async def _last_id(db) -> int:
    await db.commit()
    last = await db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    await db.commit()
    return int(last or 0)


async def test_each_change_writes_one_audit_row(client, db):
    w = await make_world(client, db)
    ada, eve = w.ada, w.eve
    steps = [
        (
            ada,
            "POST",
            "/organisations",
            {"slug": "o2", "name": "O2", "kind": "sme", "country": "FR"},
            "org.create",
            "ada",
        ),
        (
            ada,
            "PATCH",
            "/organisations/o2",
            {"website": "https://o2.example.eu"},
            "org.update",
            "ada",
        ),
        # Nobody joins without consent: Bob is invited, then accepts.
        (
            ada,
            "POST",
            "/organisations/o2/invitations",
            {"email": "bob@example.eu"},
            "org.invite",
            "ada",
        ),
        (w.bob, "POST", "/invitations/{invitation}/accept", None, "org.invite_accept", "bob"),
        (
            ada,
            "PATCH",
            f"/organisations/o2/members/{w.bob_id}",
            {"role": "admin"},
            "org.member_role",
            "ada",
        ),
        (ada, "DELETE", f"/organisations/o2/members/{w.bob_id}", None, "org.member_remove", "ada"),
        (
            ada,
            "POST",
            "/organisations/o2/invitations",
            {"email": "eve@example.eu"},
            "org.invite",
            "ada",
        ),
        (eve, "POST", "/invitations/{invitation}/accept", None, "org.invite_accept", "eve"),
        (
            ada,
            "POST",
            "/projects",
            {"slug": "p2", "name": "P2", "organisation": "o2", "sector": "energy"},
            "project.create",
            "ada",
        ),
        (ada, "PATCH", "/projects/p2", {"description": "new"}, "project.update", "ada"),
        (
            ada,
            "POST",
            "/projects/p2/members",
            {"email": "eve@example.eu"},
            "project.member_add",
            "ada",
        ),
        (
            ada,
            "PATCH",
            f"/projects/p2/members/{w.eve_id}",
            {"role": "pi"},
            "project.member_role",
            "ada",
        ),
        (eve, "DELETE", f"/projects/p2/members/{w.eve_id}", None, "project.member_remove", "eve"),
        (ada, "POST", "/tokens", {"name": "extra"}, "token.create", "ada"),
        (ada, "DELETE", "/tokens/{token}", None, "token.revoke", "ada"),
        (
            None,
            "POST",
            "/tokens/login",
            {"email": "ada@example.eu", "password": PASSWORD, "name": "cli"},
            "token.create",
            "ada",
        ),
        (ada, "PATCH", "/me", {"locale": "fr"}, "user.update", "ada"),
    ]
    ids = {"invitation": 0, "token": 0}
    for headers, method, path, body, action, actor in steps:
        since = await _last_id(db)
        r = await client.request(method, API + path.format(**ids), json=body, headers=headers or {})
        assert r.status_code < 300, (path, r.text)
        if action == "org.invite":
            ids["invitation"] = r.json()["id"]
        if action == "token.create" and headers:
            ids["token"] = r.json()["id"]
        events = await _new_events(db, since)
        assert [e.action for e in events] == [action], path
        event = events[0]
        expected_id = {"ada": w.ada_id, "bob": w.bob_id, "eve": w.eve_id}[actor]
        assert (event.actor_id, event.actor_label) == (expected_id, f"{actor}@example.eu"), action
        assert event.client_addr == "10.1.2.3"


async def test_reads_and_refusals_write_no_audit_row(client, db):
    w = await make_world(client, db)
    since = await _last_id(db)
    for path in ("/me", "/projects", "/organisations", "/projects/ada-proj/members", "/tokens"):
        assert (await client.get(API + path, headers=w.ada)).status_code == 200
    await client.patch(f"{API}/projects/ada-proj", json={"name": "x"}, headers=w.eve)
    await client.patch(f"{API}/projects/ada-proj", json={"sector": "x"}, headers=w.ada)
    await client.post(
        f"{API}/tokens/login",
        json={"email": "ada@example.eu", "password": "nope-nope", "name": "x"},
    )
    assert await _new_events(db, since) == []
