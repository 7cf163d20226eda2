"""Reviews: assignment, conflicts of interest, scores, and who may decide."""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.access.models import Review
from aifhub.core.mail import MailMessage

from ..factories import join_org
from .helpers import SCORES, api_user, create, post, review_step, world


async def _assessed(client, w, mode="fast-lane"):
    a = await create(client, w, mode)
    await post(client, f"/api/v1/applications/{a['id']}/submit", w.pi)
    await post(client, f"/api/v1/applications/{a['id']}/start-assessment", w.admin)
    return a


async def test_reviewer_from_the_applicants_organisation_is_refused(client, db):
    w = await world(client, db)
    # A staff reviewer who is also a member of the applicant's organisation (before submission).
    insider = await api_user(db, "insider@a.example", staff=("reviewer",))
    await join_org(client, w.pi, w.org, "insider@a.example", insider)
    a = await _assessed(client, w)
    r = await client.post(
        f"/api/v1/applications/{a['id']}/reviews",
        json={"reviewer": "insider@a.example", "step": "technical"},
        headers=w.admin,
    )
    assert r.status_code == 403 and "cannot review" in r.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(Review)) == 0


async def test_assignment_notifies_and_bad_assignments_refused(client, db):
    w = await world(client, db)
    a = await _assessed(client, w)
    url = f"/api/v1/applications/{a['id']}/reviews"
    rv = await post(
        client, url, w.admin, {"reviewer": "rev0-a@factory.eu", "step": "technical"}, 201
    )
    assert rv["state"] == "assigned" and rv["reviewer"] == "rev0-a@factory.eu"
    kinds = list(
        await db.scalars(
            select(MailMessage.kind).where(MailMessage.recipient == "rev0-a@factory.eu")
        )
    )
    assert kinds == ["review.assigned"]
    r = await client.post(
        url, json={"reviewer": "rev0-a@factory.eu", "step": "technical"}, headers=w.admin
    )
    assert r.status_code == 409 and "already assigned" in r.json()["detail"]
    r = await client.post(
        url, json={"reviewer": "pi-a@a.example", "step": "technical"}, headers=w.admin
    )
    assert r.status_code == 422 and "not a staff reviewer" in r.json()["detail"]
    r = await client.post(
        url, json={"reviewer": "rev1-a@factory.eu", "step": "peer"}, headers=w.admin
    )
    assert r.status_code == 409  # Fast Lane in technical assessment: peer not yet (and never)
    r = await client.post(
        url, json={"reviewer": "rev1-a@factory.eu", "step": "technical"}, headers=w.pi
    )
    assert r.status_code == 403
    assert await db.scalar(select(func.count()).select_from(Review)) == 1


async def test_scores_conflict_declaration_and_queue(client, db):
    w = await world(client, db)
    a = await _assessed(client, w)
    url = f"/api/v1/applications/{a['id']}/reviews"
    r0 = await post(
        client, url, w.admin, {"reviewer": "rev0-a@factory.eu", "step": "technical"}, 201
    )
    r1 = await post(
        client, url, w.admin, {"reviewer": "rev1-a@factory.eu", "step": "technical"}, 201
    )
    queue = (await client.get("/api/v1/reviews?state=assigned", headers=w.reviewers[0])).json()
    assert [q["id"] for q in queue] == [r0["id"]]
    bad = {"scores": {**SCORES, "impact": 6}, "comment": "Great work."}
    r = await client.post(f"/api/v1/reviews/{r0['id']}/submit", json=bad, headers=w.reviewers[0])
    assert r.status_code == 422 and "1 to 5" in r.json()["detail"]
    missing = {"scores": {"impact": 3}, "comment": "Great work."}
    r = await client.post(
        f"/api/v1/reviews/{r0['id']}/submit", json=missing, headers=w.reviewers[0]
    )
    assert r.status_code == 422 and "feasibility" in r.json()["detail"]
    # Someone else's review is not found.
    good = {"scores": SCORES, "comment": "Great work."}
    r = await client.post(f"/api/v1/reviews/{r0['id']}/submit", json=good, headers=w.reviewers[1])
    assert r.status_code == 404
    done = await post(client, f"/api/v1/reviews/{r0['id']}/submit", w.reviewers[0], good)
    assert done["state"] == "submitted" and done["scores"] == SCORES
    r = await client.post(f"/api/v1/reviews/{r0['id']}/submit", json=good, headers=w.reviewers[0])
    assert r.status_code == 409
    coi = await post(
        client,
        f"/api/v1/reviews/{r1['id']}/conflict",
        w.reviewers[1],
        {"reason": "Former employer"},
    )
    assert coi["state"] == "conflict"
    r = await client.post(f"/api/v1/reviews/{r1['id']}/submit", json=good, headers=w.reviewers[1])
    assert r.status_code == 409
    listed = (await client.get(f"/api/v1/applications/{a['id']}/reviews", headers=w.admin)).json()
    assert sorted(x["state"] for x in listed) == ["conflict", "submitted"]
    r = await client.get(f"/api/v1/applications/{a['id']}/reviews", headers=w.pi)
    assert r.status_code == 403


async def test_national_dynamic_needs_the_director(client, db):
    w = await world(client, db, kind="academic")
    a = await _assessed(client, w, "national-dynamic")
    await review_step(client, w, a["id"], "technical", 1)
    r = await client.post(
        f"/api/v1/applications/{a['id']}/decision",
        json={"outcome": "accept", "reason": "Fine"},
        headers=w.reviewers[2],
    )
    assert r.status_code == 403 and "director" in r.json()["detail"]
    done = await post(
        client,
        f"/api/v1/applications/{a['id']}/decision",
        w.admin,
        {"outcome": "accept", "reason": "Fine"},
    )
    assert done["state"] == "allocated"


async def test_granted_amounts_are_checked(client, db):
    w = await world(client, db)
    a = await _assessed(client, w)
    await review_step(client, w, a["id"], "technical", 1)
    url = f"/api/v1/applications/{a['id']}/decision"
    for granted, text in [({"jz/a100": "5000"}, "at most"), ({"jz/v100": "5"}, "not asked for")]:
        r = await client.post(
            url, json={"outcome": "accept", "reason": "Fine", "granted": granted}, headers=w.admin
        )
        assert r.status_code == 422 and text in r.json()["detail"]
    r = await client.post(
        url,
        json={"outcome": "reject", "reason": "No", "granted": {"jz/a100": "5"}},
        headers=w.admin,
    )
    assert r.status_code == 422
    got = (await client.get(f"/api/v1/applications/{a['id']}", headers=w.pi)).json()
    assert got["state"] == "technical_assessment" and got["items"][0]["granted"] is None
