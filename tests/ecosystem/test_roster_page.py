"""The staff's roster page: seats then the waiting list, and attendance ticked on the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from aifhub.ecosystem.models import CourseSession, Enrolment

from ..factories import make_user, token_for
from ..web.helpers import HTML, login


async def test_staff_record_attendance_on_the_roster_page(client, db):
    staff = await make_user(db, "staff@factory.example", staff=("support",))
    headers = await token_for(db, staff)
    await client.post(
        "/api/v1/training/courses",
        json={"slug": "gpu-101", "title": "GPU computing 101", "level": "beginner"},
        headers=headers,
    )
    start = datetime.now(UTC) + timedelta(days=5)
    s = await client.post(
        "/api/v1/training/courses/gpu-101/sessions",
        json={
            "format": "online",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(),
            "seats": 2,
        },
        headers=headers,
    )
    sid = s.json()["id"]
    people = [await make_user(db, f"{n}@ex.example", name=n.title()) for n in ("ann", "ben", "cy")]
    for n in ("ann", "ben", "cy"):
        csrf = await login(client, f"{n}@ex.example")
        await client.post(f"/training/sessions/{sid}/enrol", data={"csrf_token": csrf})
    ann, ben, cy = (p.id for p in people)

    # Not for trainees.
    assert (await client.get(f"/training/sessions/{sid}/roster", headers=HTML)).status_code == 403
    staff_csrf = await login(client, "staff@factory.example")
    training = await client.get("/training", headers=HTML)
    assert f'href="/training/sessions/{sid}/roster"' in training.text
    page = await client.get(f"/training/sessions/{sid}/roster", headers=HTML)
    assert page.status_code == 200
    assert page.text.index("Ann") < page.text.index("Ben") < page.text.index("Cy")
    assert f'id="attended-{cy}"' not in page.text  # waiting: no seat to attend
    assert "once the session has started" in page.text
    early = await client.post(
        f"/training/sessions/{sid}/attendance",
        data={"csrf_token": staff_csrf, "attended": [str(ann)]},
        headers=HTML,
    )
    assert early.status_code == 409 and "once the session has started" in early.text

    await db.execute(
        update(CourseSession).values(
            starts_at=datetime.now(UTC) - timedelta(hours=4),
            ends_at=datetime.now(UTC) - timedelta(hours=1),
        )
    )
    await db.commit()
    wrong = await client.post(
        f"/training/sessions/{sid}/attendance",
        data={"csrf_token": staff_csrf, "attended": [str(cy)]},
        headers=HTML,
    )
    assert wrong.status_code == 409 and "holding a seat" in wrong.text
    r = await client.post(
        f"/training/sessions/{sid}/attendance",
        data={"csrf_token": staff_csrf, "attended": [str(ann)]},
    )
    assert r.status_code == 303
    await db.commit()
    got = {u: a for u, a in await db.execute(select(Enrolment.user_id, Enrolment.attended))}
    assert got == {ann: True, ben: False, cy: False}
    page = await client.get(f"/training/sessions/{sid}/roster", headers=HTML)
    assert f'id="attended-{ann}" name="attended" value="{ann}" checked' in page.text
    # Unticking takes it back.
    r = await client.post(
        f"/training/sessions/{sid}/attendance",
        data={"csrf_token": staff_csrf, "attended": [str(ben)]},
    )
    await db.commit()
    db.expire_all()
    got = {u: a for u, a in await db.execute(select(Enrolment.user_id, Enrolment.attended))}
    assert got == {ann: False, ben: True, cy: False}
