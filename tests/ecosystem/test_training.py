"""Training: seats, the waiting list and its automatic promotion, attendance, certificates."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from aifhub.core.db import make_sessionmaker
from aifhub.core.mail import MailMessage
from aifhub.ecosystem import training
from aifhub.ecosystem.errors import SessionFull
from aifhub.ecosystem.models import CourseSession, Enrolment

from ..factories import api_user, make_user, token_for


async def course_with_session(client, staff, *, seats=2, waitlist=True, slug="gpu-101"):
    r = await client.post(
        "/api/v1/training/courses",
        json={
            "slug": slug,
            "title": "GPU programming 101",
            "level": "beginner",
            "topics": ["cuda", "gpu"],
        },
        headers=staff,
    )
    assert r.status_code == 201, r.text
    start = datetime.now(UTC) + timedelta(days=10)
    r = await client.post(
        f"/api/v1/training/courses/{slug}/sessions",
        json={
            "format": "online",
            "language": "fr",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=7)).isoformat(),
            "seats": seats,
            "waitlist_enabled": waitlist,
        },
        headers=staff,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def enrolment_count(db) -> int:
    return int(await db.scalar(select(func.count()).select_from(Enrolment)))


async def test_waiting_list_promotes_on_cancel(client, db):
    staff = await api_user(db, "trainer@factory.example", staff=("support",))
    sid = await course_with_session(client, staff, seats=2)
    people = [await api_user(db, f"p{i}@ex.example") for i in range(4)]
    states = []
    for h in people:
        r = await client.post(f"/api/v1/training/sessions/{sid}/enrolments", headers=h)
        assert r.status_code == 201, r.text
        states.append((r.json()["state"], r.json()["waitlist_position"]))
    assert states == [("enrolled", None), ("enrolled", None), ("waitlisted", 1), ("waitlisted", 2)]
    # double enrolment: 409, nothing added
    r = await client.post(f"/api/v1/training/sessions/{sid}/enrolments", headers=people[2])
    assert r.status_code == 409 and "waiting list" in r.json()["detail"]
    assert await enrolment_count(db) == 4
    first = (await client.get("/api/v1/training/enrolments", headers=people[0])).json()[0]
    r = await client.post(f"/api/v1/training/enrolments/{first['id']}/cancel", headers=people[0])
    assert r.json()["state"] == "cancelled"
    mine = (await client.get("/api/v1/training/enrolments", headers=people[2])).json()[0]
    assert mine["state"] == "enrolled" and mine["promoted_at"] is not None
    mine = (await client.get("/api/v1/training/enrolments", headers=people[3])).json()[0]
    assert mine["state"] == "waitlisted" and mine["waitlist_position"] == 1
    kinds = list(await db.scalars(select(MailMessage.kind).order_by(MailMessage.id)))
    assert kinds.count("training.promoted") == 1
    r = await client.post(f"/api/v1/training/enrolments/{first['id']}/cancel", headers=people[0])
    assert r.status_code == 409
    r = await client.post(f"/api/v1/training/enrolments/{first['id']}/cancel", headers=people[1])
    assert r.status_code == 404
    courses = (await client.get("/api/v1/training/courses", headers=people[0])).json()
    assert courses[0]["sessions"][0]["enrolled"] == 2
    assert courses[0]["sessions"][0]["waitlisted"] == 1


async def test_full_session_without_list_refuses(client, db):
    staff = await api_user(db, "trainer@factory.example", staff=("support",))
    sid = await course_with_session(client, staff, seats=1, waitlist=False)
    a, b = await api_user(db, "a@ex.example"), await api_user(db, "b@ex.example")
    assert (
        await client.post(f"/api/v1/training/sessions/{sid}/enrolments", headers=a)
    ).status_code == 201
    r = await client.post(f"/api/v1/training/sessions/{sid}/enrolments", headers=b)
    assert r.status_code == 409 and "no waiting list" in r.json()["detail"]
    assert r.json()["type"].endswith("session-full")
    assert await enrolment_count(db) == 1
    r = await client.post("/api/v1/training/sessions/9999/enrolments", headers=b)
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/training/courses",
        json={"slug": "x-course", "title": "X", "level": "beginner"},
        headers=b,
    )
    assert r.status_code == 403
    r = await client.post(
        "/api/v1/training/courses/gpu-101/sessions",
        json={
            "format": "online",
            "starts_at": "2027-01-02T10:00:00+00:00",
            "ends_at": "2027-01-02T09:00:00+00:00",
            "seats": 3,
        },
        headers=staff,
    )
    assert r.status_code == 422 and "ends_at" in r.json()["detail"]


async def test_attendance_and_certificate(client, db):
    staff = await api_user(db, "trainer@factory.example", staff=("support",))
    sid = await course_with_session(client, staff, seats=3)
    alice = await make_user(db, "alice@ex.example", name="Alice Martin")
    ah = await token_for(db, alice)
    bob_h = await api_user(db, "bob@ex.example")
    e = (await client.post(f"/api/v1/training/sessions/{sid}/enrolments", headers=ah)).json()
    r = await client.post(
        f"/api/v1/training/sessions/{sid}/attendance", json={"user_ids": [alice.id]}, headers=staff
    )
    assert r.status_code == 409 and "started" in r.json()["detail"]
    await db.execute(
        update(CourseSession)
        .where(CourseSession.id == sid)
        .values(
            starts_at=datetime.now(UTC) - timedelta(hours=8),
            ends_at=datetime.now(UTC) - timedelta(hours=1),
        )
    )
    await db.commit()
    r = await client.get(f"/api/v1/training/enrolments/{e['id']}/certificate", headers=ah)
    assert r.status_code == 409
    r = await client.post(
        f"/api/v1/training/sessions/{sid}/attendance",
        json={"user_ids": [alice.id, 999]},
        headers=staff,
    )
    assert r.status_code == 409 and "999" in r.json()["detail"]
    r = await client.post(
        f"/api/v1/training/sessions/{sid}/attendance", json={"user_ids": [alice.id]}, headers=staff
    )
    assert r.status_code == 200 and r.json()[0]["attended"] is True
    cert = (
        await client.get(f"/api/v1/training/enrolments/{e['id']}/certificate", headers=ah)
    ).json()
    assert cert["participant"] == "Alice Martin" and cert["hours"] == 7.0
    r = await client.get(f"/api/v1/training/enrolments/{e['id']}/certificate", headers=bob_h)
    assert r.status_code == 404


@pytest.mark.postgresql_only  # row locks (FOR UPDATE) are what this checks
async def test_concurrent_enrolments_never_overbook(db, engine, database_url):
    staff = await make_user(db, "trainer@factory.example", staff=("support",))
    from aifhub.schemas import ecosystem as schemas

    await training.create_course(
        db, staff, data=schemas.CourseCreate(slug="race", title="Race", level="beginner")
    )
    start = datetime.now(UTC) + timedelta(days=3)
    cs = await training.add_session(
        db,
        staff,
        "race",
        data=schemas.SessionCreate(
            format="online",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            seats=3,
            waitlist_enabled=False,
        ),
    )
    await db.commit()
    users = [await make_user(db, f"r{i}@ex.example") for i in range(12)]
    maker = make_sessionmaker(engine)

    async def attempt(user) -> str:
        async with maker() as s:
            try:
                await training.enrol(s, user, cs.id)
                await s.commit()
                return "ok"
            except SessionFull:
                await s.rollback()
                return "full"

    results = await asyncio.gather(*(attempt(u) for u in users))
    assert results.count("ok") == 3 and results.count("full") == 9
    n = await db.scalar(
        select(func.count()).where(Enrolment.session_id == cs.id, Enrolment.state == "enrolled")
    )
    assert n == 3
