"""GET /training/courses/{slug} (all sessions, or the upcoming ones) and names on a roster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from aifhub.ecosystem.models import CourseSession

from ..factories import api_user
from .test_training import course_with_session


async def test_course_detail_sessions_and_roster_names(client, db):
    staff = await api_user(db, "trainer@factory.example", staff=("support",))
    sid = await course_with_session(client, staff, seats=1)
    learner = await api_user(db, "learner@ex.example")
    r = await client.post(f"/api/v1/training/sessions/{sid}/enrolments", headers=learner)
    assert r.status_code == 201, r.text

    r = await client.get("/api/v1/training/courses/gpu-101", headers=learner)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["slug"] == "gpu-101"
    assert [(s["id"], s["enrolled"], s["seats"]) for s in body["sessions"]] == [(sid, 1, 1)]

    past = datetime.now(UTC) - timedelta(days=30)
    await db.execute(
        update(CourseSession)
        .where(CourseSession.id == sid)
        .values(starts_at=past, ends_at=past + timedelta(hours=7))
    )
    await db.commit()
    r = await client.get("/api/v1/training/courses/gpu-101", headers=learner)
    assert [s["id"] for s in r.json()["sessions"]] == [sid]  # all sessions by default
    r = await client.get(
        "/api/v1/training/courses/gpu-101", params={"upcoming_only": True}, headers=learner
    )
    assert r.json()["sessions"] == []

    r = await client.get("/api/v1/training/courses/nope", headers=learner)
    assert r.status_code == 404 and "No course 'nope'" in r.json()["detail"]

    r = await client.get(f"/api/v1/training/sessions/{sid}/roster", headers=staff)
    assert [(e["email"], e["name"], e["state"]) for e in r.json()] == [
        ("learner@ex.example", "Learner", "enrolled")
    ]
    r = await client.get(f"/api/v1/training/sessions/{sid}/roster", headers=learner)
    assert r.status_code == 403
