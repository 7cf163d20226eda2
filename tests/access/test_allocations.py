"""Allocations: balances from the ledger, activity by date, renewals, top-ups, notices by mail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from aifhub.access.allocations import move_by_date, notify_thresholds
from aifhub.access.ledger import balances, find_active_allocation, get_balance
from aifhub.access.models import Allocation, LedgerEntry
from aifhub.core.db import make_sessionmaker, utcnow
from aifhub.core.mail import MailMessage, deliver_pending
from aifhub.resources.models import Partition

from .helpers import api_user, create, post, review_step, world


async def allocated(client, w, mode="fast-lane", **over) -> dict:
    """An application taken through to its allocations; returns the application."""
    a = await create(client, w, mode, **over)
    url = f"/api/v1/applications/{a['id']}"
    await post(client, f"{url}/submit", w.pi)
    await post(client, f"{url}/start-assessment", w.admin)
    await review_step(client, w, a["id"], "technical", 1)
    return await post(
        client, f"{url}/decision", w.admin, {"outcome": "accept", "reason": "Granted"}
    )


async def _alloc(db, app_id: int) -> Allocation:
    db.expire_all()
    return await db.scalar(select(Allocation).where(Allocation.application_id == app_id))


async def test_balance_from_the_ledger(client, db):
    w = await world(client, db)
    app = await allocated(client, w)
    alloc = await _alloc(db, app["id"])
    for kind, amount, key in [
        ("reserve", "100", "jz:1"),
        ("release", "40", "jz:1"),
        ("charge", "50", "jz:1"),
        ("adjust", "-5", None),
    ]:
        db.add(LedgerEntry(allocation_id=alloc.id, kind=kind, amount=Decimal(amount), job_key=key))
    await db.commit()
    b = await get_balance(db, alloc.id)
    assert (b.granted, b.reserved, b.used, b.remaining) == (Decimal(1000), 60, 45, Decimal(895))
    assert all(isinstance(x, Decimal) for x in (b.granted, b.reserved, b.used, b.remaining))
    assert (await balances(db, []) == {}) and alloc.id in await balances(db, [alloc.id, alloc.id])
    got = (await client.get(f"/api/v1/allocations/{alloc.id}", headers=w.pi)).json()
    assert got["balance"] == {
        "granted": "1000.0000",
        "reserved": "60.0000",
        "used": "45.0000",
        "remaining": "895.0000",
        "overrun_hours": "0.0000",
    }
    assert got["partition"] == "jz/a100" and got["state"] == "active"
    listing = (await client.get("/api/v1/allocations", headers=w.pi)).json()
    assert listing["total"] == 1
    stranger = await api_user(db, "s@x.eu")
    assert (await client.get("/api/v1/allocations", headers=stranger)).json()["total"] == 0
    assert (
        await client.get(f"/api/v1/allocations/{alloc.id}", headers=stranger)
    ).status_code == 404


async def test_find_active_allocation_and_suspension(client, db):
    w = await world(client, db)
    app = await allocated(client, w)
    alloc = await _alloc(db, app["id"])
    a100 = await db.scalar(select(Partition).where(Partition.key == "jz/a100"))
    v100 = await db.scalar(select(Partition).where(Partition.key == "jz/v100"))
    found = await find_active_allocation(db, project_id=alloc.project_id, partition_id=a100.id)
    assert found is not None and found.id == alloc.id
    assert (
        await find_active_allocation(db, project_id=alloc.project_id, partition_id=v100.id) is None
    )
    after = alloc.ends_at + timedelta(seconds=1)
    assert (
        await find_active_allocation(
            db, project_id=alloc.project_id, partition_id=a100.id, at=after
        )
        is None
    )
    r = await client.post(
        f"/api/v1/allocations/{alloc.id}/state",
        json={"action": "suspend", "reason": "abuse"},
        headers=w.reviewers[0],
    )
    assert r.status_code == 403
    project_id = alloc.project_id
    s = await post(
        client,
        f"/api/v1/allocations/{alloc.id}/state",
        w.admin,
        {"action": "suspend", "reason": "Abuse check"},
    )
    assert s["state"] == "suspended"
    a100_id = a100.id
    db.expire_all()
    assert await find_active_allocation(db, project_id=project_id, partition_id=a100_id) is None
    r = await client.post(
        f"/api/v1/allocations/{s['id']}/state",
        json={"action": "suspend", "reason": "again"},
        headers=w.admin,
    )
    assert r.status_code == 409
    s = await post(
        client,
        f"/api/v1/allocations/{s['id']}/state",
        w.admin,
        {"action": "resume", "reason": "Cleared"},
    )
    assert s["state"] == "active"


async def test_states_move_by_date(client, db):
    w = await world(client, db)
    app = await allocated(client, w)
    alloc = await _alloc(db, app["id"])
    now = utcnow()
    early = Allocation(
        project_id=alloc.project_id,
        partition_id=alloc.partition_id,
        amount=Decimal(10),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=30),
        state="scheduled",
    )
    later = Allocation(
        project_id=alloc.project_id,
        partition_id=alloc.partition_id,
        amount=Decimal(10),
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=30),
        state="scheduled",
    )
    db.add_all([early, later])
    await db.commit()
    moved = await move_by_date(db, now=now)
    await db.commit()
    assert {a.id for a in moved} == {early.id}
    assert early.state == "active" and later.state == "scheduled"
    moved = await move_by_date(db, now=alloc.ends_at + timedelta(minutes=1))
    await db.commit()
    assert {a.id: a.state for a in moved} == {
        alloc.id: "expired",
        early.id: "expired",
        later.id: "expired",
    }
    kinds = list(
        await db.scalars(select(MailMessage.key).where(MailMessage.kind == "allocation.active"))
    )
    assert len(kinds) == 2  # the first allocation when granted, `early` when it started


async def test_expiry_and_usage_notices_fire_once_and_arrive_as_one_digest(
    client, db, engine, smtp_server
):
    inbox, cfg = smtp_server
    w = await world(client, db)
    app = await allocated(client, w)
    alloc = await _alloc(db, app["id"])
    db.add(LedgerEntry(allocation_id=alloc.id, kind="charge", amount=Decimal(850), job_key="jz:9"))
    await db.commit()
    near_end = alloc.ends_at - timedelta(days=5)
    assert await notify_thresholds(db, now=near_end) == 2  # 7 days left, 80% used
    assert await notify_thresholds(db, now=near_end) == 0
    await db.commit()
    db.add(LedgerEntry(allocation_id=alloc.id, kind="charge", amount=Decimal(150), job_key="jz:10"))
    await db.commit()
    assert await notify_thresholds(db, now=alloc.ends_at - timedelta(hours=2)) == 2  # 0 days, 100%
    await db.commit()
    keys = sorted(
        await db.scalars(select(MailMessage.key).where(MailMessage.kind.like("allocation.%")))
    )
    assert [k.rsplit(":", 1)[0] for k in keys] == [
        f"allocation.active:{alloc.id}",
        f"allocation.expiry:{alloc.id}:0",
        f"allocation.expiry:{alloc.id}:7",
        f"allocation.usage:{alloc.id}:100",
        f"allocation.usage:{alloc.id}:80",
    ]
    sent = await deliver_pending(
        make_sessionmaker(engine), cfg, now=utcnow() + timedelta(minutes=10)
    )
    mails = inbox.to("pi-a@a.example")
    assert (
        sent == 2 and len(mails) == 1
    )  # (the other is the reviewer's) receipt, decision, active, expiries, usage: one digest
    text = mails[0].get_payload()
    assert "7 notifications" in mails[0]["Subject"]
    for needle in (
        "received",
        "accepted",
        "is active",
        "ends in 7 days",
        "ends today",
        "80% used",
        "100% used",
    ):
        assert needle in text


async def test_renewal_and_top_up_go_through_their_mode(client, db):
    w = await world(client, db, kind="academic")
    app = await allocated(client, w, "national-dynamic")
    alloc = await _alloc(db, app["id"])
    alloc_id, old_end = alloc.id, alloc.ends_at
    top = await allocated(
        client,
        w,
        "national-dynamic",
        kind="top_up",
        allocation_id=alloc_id,
        items=[{"partition": "jz/a100", "amount": "500"}],
    )
    assert top["kind"] == "top_up" and top["state"] == "allocated"
    db.expire_all()
    assert (await db.get(Allocation, alloc_id)).amount == 1500
    renewal = await allocated(client, w, "national-dynamic", kind="renewal", allocation_id=alloc_id)
    renewed = await _alloc(db, renewal["id"])
    assert renewed.id != alloc_id and renewed.starts_at == old_end and renewed.state == "scheduled"
    wrong_partition = {
        "kind": "top_up",
        "allocation_id": alloc_id,
        "items": [{"partition": "jz/v100", "amount": "5"}],
    }
    r = await client.post(
        "/api/v1/applications",
        json={**_body(w, "national-dynamic"), **wrong_partition},
        headers=w.pi,
    )
    assert r.status_code == 422 and "own partition" in r.json()["detail"]


async def test_fast_lane_takes_no_top_up(client, db):
    w = await world(client, db)
    app = await allocated(client, w)
    alloc = await _alloc(db, app["id"])
    r = await client.post(
        "/api/v1/applications",
        json={**_body(w, "fast-lane"), "kind": "top_up", "allocation_id": alloc.id},
        headers=w.pi,
    )
    assert r.status_code == 422 and "no top-ups" in r.json()["detail"]
    r = await client.post(
        "/api/v1/applications",
        json={**_body(w, "fast-lane"), "kind": "renewal", "allocation_id": alloc.id},
        headers=w.pi,
    )
    assert r.status_code == 422 and "not renewable" in r.json()["detail"]


def _body(w, mode):
    from .helpers import body

    return body(w, mode)
