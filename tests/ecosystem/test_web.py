"""Training, partners and talent pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from aifhub.ecosystem.models import CourseSession
from aifhub.identity.models import User

from ..factories import make_org, make_user, token_for
from ..web.helpers import HTML, login


async def test_enrol_waitlist_certificate_and_partners(client, db):
    staff = await token_for(db, await make_user(db, "staff@factory.example", staff=("support",)))
    await client.post(
        "/api/v1/training/courses",
        json={"slug": "gpu-101", "title": "GPU computing 101", "level": "beginner"},
        headers=staff,
    )
    start = datetime.now(UTC) + timedelta(days=5)
    s = await client.post(
        "/api/v1/training/courses/gpu-101/sessions",
        json={
            "format": "online",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(),
            "seats": 1,
        },
        headers=staff,
    )
    sid = s.json()["id"]
    await make_user(db, "ann@ex.example", name="Ann Example")
    await make_user(db, "ben@ex.example")
    csrf = await login(client, "ann@ex.example")
    r = await client.post(f"/training/sessions/{sid}/enrol", data={"csrf_token": csrf})
    assert r.status_code == 303
    page = await client.get("/training", headers=HTML)
    assert "GPU computing 101" in page.text and "1/1" in page.text
    r = await client.post(
        f"/training/sessions/{sid}/enrol", data={"csrf_token": csrf}, headers=HTML
    )
    assert r.status_code == 409 and "already enrolled" in r.text
    r = await client.post(
        f"/training/sessions/{sid}/enrol", data={"csrf_token": "bad"}, headers=HTML
    )
    assert r.status_code == 403
    csrf_b = await login(client, "ben@ex.example")
    await client.post(f"/training/sessions/{sid}/enrol", data={"csrf_token": csrf_b})
    assert "waitlisted #1" in (await client.get("/training", headers=HTML)).text
    # attendance and the printable certificate
    await db.execute(
        update(CourseSession).values(
            starts_at=datetime.now(UTC) - timedelta(hours=4),
            ends_at=datetime.now(UTC) - timedelta(hours=1),
        )
    )
    await db.commit()
    ann = await db.scalar(select(User.id).where(User.email == "ann@ex.example"))
    r = await client.post(
        f"/api/v1/training/sessions/{sid}/attendance", json={"user_ids": [ann]}, headers=staff
    )
    assert r.status_code == 200, r.text
    await login(client, "ann@ex.example")
    cert = await client.get("/training/certificates/1", headers=HTML)
    assert cert.status_code == 200 and "Ann Example" in cert.text and "3 hours" in cert.text
    assert "data-print" in cert.text  # the Print button (static/app.js calls window.print)
    await login(client, "ben@ex.example")
    assert (await client.get("/training/certificates/1", headers=HTML)).status_code == 404


async def test_partner_page_refuses_non_startup(client, db):
    staff = await token_for(db, await make_user(db, "staff@factory.example", staff=("support",)))
    await client.post(
        "/api/v1/partners",
        json={"slug": "seed-fund", "name": "Seed Fund", "kind": "fund", "sectors": ["health"]},
        headers=staff,
    )
    owner = await make_user(db, "boss@bigco.example")
    await make_org(client, await token_for(db, owner), "bigco", kind="large_company")
    csrf = await login(client, "boss@bigco.example")
    page = await client.get("/partners?kind=fund", headers=HTML)
    assert "Seed Fund" in page.text and "Ask for an introduction" in page.text
    r = await client.post(
        "/partners/seed-fund/introduce",
        data={
            "csrf_token": csrf,
            "organisation": "bigco",
            "pitch": "We are a large company with a long enough pitch.",
        },
        headers=HTML,
    )
    assert r.status_code == 422 and "only takes startups" in r.text
    assert (await client.get("/talent", headers=HTML)).status_code == 200
