"""Applications through the API: drafting, submitting, revising, and bad input refused."""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.access.models import Application, ApplicationItem
from aifhub.core.audit import AuditEvent
from aifhub.core.mail import MailMessage

from ..factories import join_org
from .helpers import api_user, body, create, post, world


async def _counts(db):
    return (
        await db.scalar(select(func.count()).select_from(Application)),
        await db.scalar(select(func.count()).select_from(ApplicationItem)),
        await db.scalar(select(func.count()).select_from(AuditEvent)),
    )


async def test_modes_are_listed_with_defaults(client, db):
    h = await api_user(db, "x@x.eu")
    r = await client.get("/api/v1/access-modes", headers=h)
    assert r.status_code == 200, r.text
    modes = {m["slug"]: m for m in r.json()}
    assert list(modes) == ["playground", "fast-lane", "large-scale", "national-dynamic"]
    assert modes["fast-lane"]["max_hours"]["gpu_hours"] == "50000"
    assert modes["large-scale"]["requires_fallback"] and modes["large-scale"]["next_cutoff"]
    assert "FR" in modes["playground"]["countries"] and "NO" in modes["playground"]["countries"]
    assert modes["national-dynamic"]["countries"] == ["FR"]


async def test_draft_submit_and_receipt(client, db):
    w = await world(client, db)
    app = await create(client, w)
    assert app["state"] == "draft" and app["allowed_actions"] == ["submit", "withdraw"]
    assert app["items"] == [
        {"partition": "jz/a100", "unit": "gpu_hours", "requested": "1000.0000", "granted": None}
    ]
    done = await post(client, f"/api/v1/applications/{app['id']}/submit", w.pi)
    assert done["state"] == "checked" and done["due_date"] and not done["late"]
    mails = list(await db.scalars(select(MailMessage)))
    assert [m.kind for m in mails] == ["application.submitted"]
    assert mails[0].recipient == "pi-a@a.example"
    listing = (await client.get("/api/v1/applications", headers=w.pi)).json()
    assert listing["total"] == 1
    other = await api_user(db, "nosy@elsewhere.eu")
    assert (await client.get("/api/v1/applications", headers=other)).json()["total"] == 0
    r = await client.get(f"/api/v1/applications/{app['id']}", headers=other)
    assert r.status_code == 404


async def test_double_submission_is_409_and_changes_nothing(client, db):
    w = await world(client, db)
    app = await create(client, w)
    await post(client, f"/api/v1/applications/{app['id']}/submit", w.pi)
    before = await _counts(db)
    r = await client.post(f"/api/v1/applications/{app['id']}/submit", headers=w.pi)
    assert r.status_code == 409
    problem = r.json()
    assert "cannot 'submit'" in problem["detail"] and problem["allowed"] == [
        "accept",
        "reject",
        "start_assessment",
        "withdraw",
    ]
    assert await _counts(db) == before


async def test_ineligible_kind_and_country(client, db):
    w = await world(client, db, kind="academic", country="US")
    before = await _counts(db)
    r = await client.post("/api/v1/applications", json=body(w, "playground"), headers=w.pi)
    assert r.status_code == 422
    failures = r.json()["failures"]
    assert any("organisation kinds" in f for f in failures)
    assert any("is in US" in f for f in failures)
    assert await _counts(db) == before


async def test_amounts_outside_bounds_and_durations_refused(client, db):
    w = await world(client, db)
    before = await _counts(db)
    too_big = body(w, items=[{"partition": "jz/a100", "amount": "50001"}])
    r = await client.post("/api/v1/applications", json=too_big, headers=w.pi)
    assert r.status_code == 422 and "at most 50000 gpu_hours" in r.json()["detail"]
    too_small = body(w, "large-scale", items=[{"partition": "jz/h100", "amount": "1000"}])
    r = await client.post("/api/v1/applications", json=too_small, headers=w.pi)
    assert r.status_code == 422 and "at least 50001 gpu_hours" in r.json()["detail"]
    r = await client.post("/api/v1/applications", json=body(w, duration_months=5), headers=w.pi)
    assert r.status_code == 422 and "grants 1, 2, 3 months" in r.json()["detail"]
    negative = body(w, items=[{"partition": "jz/a100", "amount": "-3"}])
    r = await client.post("/api/v1/applications", json=negative, headers=w.pi)
    assert r.status_code == 422
    unknown = body(w, items=[{"partition": "jz/nope", "amount": "3"}])
    r = await client.post("/api/v1/applications", json=unknown, headers=w.pi)
    assert r.status_code == 422 and "Unknown partition(s): jz/nope" in r.json()["detail"]
    no_fallback = body(w, "large-scale", fallback_partitions=[])
    r = await client.post("/api/v1/applications", json=no_fallback, headers=w.pi)
    assert r.status_code == 422 and "fallback partition" in r.json()["detail"]
    r = await client.post("/api/v1/applications", json=body(w, mode="nope"), headers=w.pi)
    assert r.status_code == 404 and "open modes: playground" in r.json()["detail"]
    assert await _counts(db) == before


async def test_applicant_who_is_not_pi_is_refused(client, db):
    w = await world(client, db)
    member = await api_user(db, "member@a.example")
    await join_org(client, w.pi, w.org, "member@a.example", member)
    r = await client.post(
        f"/api/v1/projects/{w.project}/members",
        json={"email": "member@a.example", "role": "member"},
        headers=w.pi,
    )
    assert r.status_code in (200, 201), r.text
    before = await _counts(db)
    r = await client.post("/api/v1/applications", json=body(w), headers=member)
    assert r.status_code == 403 and "pi" in r.json()["detail"]
    app = await create(client, w)
    before = await _counts(db)
    r = await client.post(f"/api/v1/applications/{app['id']}/submit", headers=member)
    assert r.status_code == 403
    r = await client.patch(
        f"/api/v1/applications/{app['id']}", json={"title": "x" * 5}, headers=member
    )
    assert r.status_code == 403
    assert await _counts(db) == before


async def test_revise_draft_and_refuse_revision_after_submission(client, db):
    w = await world(client, db)
    app = await create(client, w)
    r = await client.patch(
        f"/api/v1/applications/{app['id']}",
        json={"title": "Better title", "items": [{"partition": "jz/v100", "amount": "200"}]},
        headers=w.pi,
    )
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Better title" and r.json()["items"][0]["partition"] == "jz/v100"
    assert r.json()["revision"] == 1
    r = await client.patch(
        f"/api/v1/applications/{app['id']}", json={"duration_months": 7}, headers=w.pi
    )
    assert r.status_code == 422
    await post(client, f"/api/v1/applications/{app['id']}/submit", w.pi)
    r = await client.patch(
        f"/api/v1/applications/{app['id']}", json={"title": "Late edit"}, headers=w.pi
    )
    assert r.status_code == 409 and "cannot be changed" in r.json()["detail"]


async def test_playground_is_for_new_organisations_only(client, db):
    w = await world(client, db)
    app = await create(client, w, "fast-lane")
    await post(client, f"/api/v1/applications/{app['id']}/submit", w.pi)
    await post(client, f"/api/v1/applications/{app['id']}/start-assessment", w.admin)
    await post(
        client,
        f"/api/v1/applications/{app['id']}/reviews",
        w.admin,
        {"reviewer": "rev0-a@factory.eu", "step": "technical"},
        201,
    )
    reviews = (await client.get("/api/v1/reviews", headers=w.reviewers[0])).json()
    await post(
        client,
        f"/api/v1/reviews/{reviews[0]['id']}/submit",
        w.reviewers[0],
        {
            "scores": {"feasibility": 4, "quality": 4, "impact": 4, "resources": 4},
            "comment": "Looks fine.",
        },
    )
    await post(
        client,
        f"/api/v1/applications/{app['id']}/decision",
        w.admin,
        {"outcome": "accept", "reason": "Good plan"},
    )
    r = await client.post("/api/v1/applications", json=body(w, "playground"), headers=w.pi)
    assert r.status_code == 422 and "new to the factory" in r.json()["detail"]
