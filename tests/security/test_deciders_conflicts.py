"""Conflict of interest: nobody assesses, reviews or decides their own organisation's application.

The attack: a staff member applies for their own start-up, starts the assessment, reviews it
and accepts it. And the reverse: an applicant who adds a reviewer they fear to the project
after submitting, to disqualify them. Membership counts only when it existed at submission.
"""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.access.models import Application, Review
from aifhub.access.reviews import eligible_reviewers

from ..access.helpers import SCORES, api_user, create, post, world
from ..factories import join_org

API = "/api/v1/applications"


def _refused(r, *needles: str) -> None:
    assert r.status_code == 403, r.text
    detail = r.json()["detail"]
    assert "conflict of interest" in detail, detail
    for needle in needles:
        assert needle in detail, detail


async def _state(db, app_id: int) -> str:
    await db.commit()
    state = await db.scalar(select(Application.state).where(Application.id == app_id))
    await db.commit()
    return str(state)


async def test_own_organisation_is_refused_for_each_role(client, db):
    w = await world(client, db)
    # A staff admin (who may assess, review and decide) belongs to the applicant's start-up.
    insider = await api_user(db, "insider@factory.eu", staff=("admin",))
    await join_org(client, w.pi, w.org, "insider@factory.eu", insider)
    a = await create(client, w, "fast-lane")
    await post(client, f"{API}/{a['id']}/submit", w.pi)

    # Technical assessment: refused to the insider, nothing moves.
    r = await client.post(f"{API}/{a['id']}/start-assessment", headers=insider)
    _refused(r, "cannot assess")
    assert await _state(db, a["id"]) == "checked"
    await post(client, f"{API}/{a['id']}/start-assessment", w.admin)

    # Review: the insider is neither assignable nor may they pick the reviewers.
    r = await client.post(
        f"{API}/{a['id']}/reviews",
        json={"reviewer": "insider@factory.eu", "step": "technical"},
        headers=w.admin,
    )
    _refused(r, "insider@factory.eu", "cannot review")
    r = await client.post(
        f"{API}/{a['id']}/reviews",
        json={"reviewer": "rev0-a@factory.eu", "step": "technical"},
        headers=insider,
    )
    _refused(r, "cannot assess")
    assert await db.scalar(select(func.count()).select_from(Review)) == 0
    # ... and the page does not offer them.
    app = await db.get(Application, a["id"])
    offered = {u.email for u in await eligible_reviewers(db, app)}
    assert "insider@factory.eu" not in offered and "rev0-a@factory.eu" in offered

    rv = await post(
        client,
        f"{API}/{a['id']}/reviews",
        w.admin,
        {"reviewer": "rev0-a@factory.eu", "step": "technical"},
        201,
    )
    await post(
        client,
        f"/api/v1/reviews/{rv['id']}/submit",
        w.reviewers[0],
        {"scores": SCORES, "comment": "Sound plan."},
    )

    # Decision: refused to the insider, accepted by someone else.
    decision = {"outcome": "accept", "reason": "Fine by me."}
    r = await client.post(f"{API}/{a['id']}/decision", json=decision, headers=insider)
    _refused(r, "cannot decide")
    assert await _state(db, a["id"]) == "technical_assessment"
    r = await client.post(f"{API}/{a['id']}/decision", json=decision, headers=w.admin)
    assert r.status_code == 200, r.text


async def test_membership_after_submission_creates_no_conflict(client, db):
    w = await world(client, db)
    # rev1 was in the organisation when the application was submitted: in conflict.
    await join_org(client, w.pi, w.org, "rev1-a@factory.eu", w.reviewers[1])
    a = await create(client, w, "fast-lane")
    await post(client, f"{API}/{a['id']}/submit", w.pi)
    await post(client, f"{API}/{a['id']}/start-assessment", w.admin)
    # The applicant then pulls rev0 into the organisation and the project to disqualify them.
    await join_org(client, w.pi, w.org, "rev0-a@factory.eu", w.reviewers[0])
    r = await client.post(
        f"/api/v1/projects/{w.project}/members",
        json={"email": "rev0-a@factory.eu", "role": "member"},
        headers=w.pi,
    )
    assert r.status_code == 201, r.text

    r = await client.post(
        f"{API}/{a['id']}/reviews",
        json={"reviewer": "rev1-a@factory.eu", "step": "technical"},
        headers=w.admin,
    )
    _refused(r, "rev1-a@factory.eu")
    rv = await post(
        client,
        f"{API}/{a['id']}/reviews",
        w.admin,
        {"reviewer": "rev0-a@factory.eu", "step": "technical"},
        201,
    )
    done = await post(
        client,
        f"/api/v1/reviews/{rv['id']}/submit",
        w.reviewers[0],
        {"scores": SCORES, "comment": "Sound plan."},
    )
    assert done["state"] == "submitted"
    app = await db.get(Application, a["id"])
    offered = {u.email for u in await eligible_reviewers(db, app)}
    assert "rev0-a@factory.eu" in offered and "rev1-a@factory.eu" not in offered
