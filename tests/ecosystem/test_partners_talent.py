"""Incubators and funds, introductions (startups only), and the talent board."""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.core.mail import MailMessage
from aifhub.ecosystem.models import Introduction

from ..factories import api_user, make_org, make_user, token_for

PITCH = "We segment brain MRI scans with 3D U-Nets; seeking seed funding to certify."


async def setup(client, db):
    staff = await api_user(db, "staff@factory.example", staff=("support",))
    contact = await make_user(db, "partner@fund.example", name="Fund Contact")
    founder = await api_user(db, "founder@neuro.example")
    await make_org(client, founder, "neuro", kind="startup")
    await make_org(client, founder, "bigco", kind="large_company")
    r = await client.post(
        "/api/v1/partners",
        json={
            "slug": "deeptech-seed",
            "name": "DeepTech Seed",
            "kind": "fund",
            "sectors": ["health"],
            "stages": ["pre_seed", "seed"],
            "countries": ["FR", "DE"],
            "ticket_min_eur": 100000,
            "ticket_max_eur": 1500000,
            "contact_email": "partner@fund.example",
        },
        headers=staff,
    )
    assert r.status_code == 201, r.text
    return staff, founder, contact, await token_for(db, contact)


async def test_directory_filters_and_staff_only_creation(client, db):
    staff, founder, *_ = await setup(client, db)
    r = await client.post(
        "/api/v1/partners",
        json={
            "slug": "lab-incubator",
            "name": "Lab Incubator",
            "kind": "incubator",
            "sectors": ["energy"],
            "location": "Paris",
        },
        headers=staff,
    )
    assert r.status_code == 201
    r = await client.post(
        "/api/v1/partners", json={"slug": "x-fund", "name": "X", "kind": "fund"}, headers=founder
    )
    assert r.status_code == 403
    r = await client.post(
        "/api/v1/partners",
        json={
            "slug": "bad-fund",
            "name": "Bad",
            "kind": "fund",
            "ticket_min_eur": 10,
            "ticket_max_eur": 5,
        },
        headers=staff,
    )
    assert r.status_code == 422 and "ticket_min_eur" in r.json()["detail"]
    funds = (await client.get("/api/v1/partners?kind=fund", headers=founder)).json()
    assert [p["slug"] for p in funds] == ["deeptech-seed"]
    health = (await client.get("/api/v1/partners?sector=health", headers=founder)).json()
    assert [p["slug"] for p in health] == ["deeptech-seed"]
    seed = (await client.get("/api/v1/partners?stage=growth&kind=fund", headers=founder)).json()
    assert seed == []


async def test_introduction_flow_and_refusals(client, db):
    staff, founder, contact, contact_h = await setup(client, db)
    url = "/api/v1/partners/deeptech-seed/introductions"
    r = await client.post(url, json={"organisation": "bigco", "pitch": PITCH}, headers=founder)
    assert r.status_code == 422 and "only takes startups" in r.json()["detail"]
    r = await client.post(
        url, json={"organisation": "neuro", "pitch": "too short"}, headers=founder
    )
    assert r.status_code == 422
    outsider = await api_user(db, "out@side.example")
    r = await client.post(url, json={"organisation": "neuro", "pitch": PITCH}, headers=outsider)
    assert r.status_code == 404
    assert await db.scalar(select(func.count()).select_from(Introduction)) == 0
    r = await client.post(url, json={"organisation": "neuro", "pitch": PITCH}, headers=founder)
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    r = await client.post(url, json={"organisation": "neuro", "pitch": PITCH}, headers=founder)
    assert r.status_code == 409
    # the founder cannot decide; the partner's contact can
    r = await client.post(
        f"/api/v1/introductions/{iid}/decision", json={"accept": True}, headers=founder
    )
    assert r.status_code == 403
    assert (await client.get("/api/v1/introductions", headers=outsider)).json() == []
    assert len((await client.get("/api/v1/introductions", headers=contact_h)).json()) == 1
    r = await client.post(
        f"/api/v1/introductions/{iid}/outcome", json={"outcome": "invested"}, headers=staff
    )
    assert r.status_code == 409
    r = await client.post(
        f"/api/v1/introductions/{iid}/decision",
        json={"accept": True, "note": "Let's meet"},
        headers=contact_h,
    )
    assert r.json()["state"] == "accepted"
    r = await client.post(
        f"/api/v1/introductions/{iid}/decision", json={"accept": False}, headers=staff
    )
    assert r.status_code == 409
    r = await client.post(
        f"/api/v1/introductions/{iid}/outcome", json={"outcome": "meeting_held"}, headers=staff
    )
    assert r.json()["outcome"] == "meeting_held"
    kinds = set(await db.scalars(select(MailMessage.kind)))
    assert {"ecosystem.introduction_requested", "ecosystem.introduction_decided"} <= kinds


async def test_talent_board(client, db):
    _, founder, *_ = await setup(client, db)
    r = await client.post(
        "/api/v1/talent/offers",
        json={
            "organisation": "neuro",
            "kind": "internship",
            "title": "ML intern",
            "skills": ["pytorch"],
        },
        headers=founder,
    )
    assert r.status_code == 201
    oid = r.json()["id"]
    other = await api_user(db, "other@ex.example")
    r = await client.post(
        "/api/v1/talent/offers",
        json={"organisation": "neuro", "kind": "job", "title": "Hack"},
        headers=other,
    )
    assert r.status_code == 404
    assert (
        await client.post(f"/api/v1/talent/offers/{oid}/close", headers=other)
    ).status_code == 403
    assert len((await client.get("/api/v1/talent/offers", headers=other)).json()) == 1
    await client.put(
        "/api/v1/talent/me", json={"headline": "PhD, CV", "skills": ["vision"]}, headers=other
    )
    assert (await client.get("/api/v1/talent/profiles", headers=founder)).json() == []
    await client.put("/api/v1/talent/me", json={"headline": "PhD", "opted_in": True}, headers=other)
    profiles = (await client.get("/api/v1/talent/profiles", headers=founder)).json()
    assert [p["headline"] for p in profiles] == ["PhD"]
    await client.post(f"/api/v1/talent/offers/{oid}/close", headers=founder)
    assert (await client.get("/api/v1/talent/offers", headers=other)).json() == []
