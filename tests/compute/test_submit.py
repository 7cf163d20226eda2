"""Submission: every refusal happens before anything reaches a backend, and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aifhub.access.models import LedgerEntry
from aifhub.compute.models import Job

from .conftest import add_allocation, job_body


async def _counts(db) -> tuple[int, int]:
    jobs = await db.scalar(select(func.count()).select_from(Job))
    ledger = await db.scalar(select(func.count()).select_from(LedgerEntry))
    return int(jobs or 0), int(ledger or 0)


async def test_submit_records_job_and_reservation(client, db, world):
    r = await client.post(
        "/api/v1/jobs", json=job_body(gpus=2, time_limit="30m"), headers=world.member
    )
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["state"] == "queued" and job["partition"] == "testc/gpu"
    # 30 min x 2 GPUs x factor 2 = 2 normalised hours held.
    assert Decimal(job["reserved_hours"]) == Decimal("2")
    entry = await db.scalar(select(LedgerEntry))
    assert (
        entry.kind == "reserve"
        and entry.amount == Decimal(2)
        and entry.job_key == f"job:{job['id']}"
    )
    usage = (await client.get("/api/v1/projects/proj/usage", headers=world.pi)).json()
    gpu = next(a for a in usage["allocations"] if a["partition"] == "testc/gpu")
    assert Decimal(gpu["reserved"]) == 2 and Decimal(gpu["remaining"]) == 98


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (job_body(partition="nope"), 404, "No partition 'nope'"),
        (job_body(gpus=3), 422, "3 GPUs asked, at most 2 per node x 1 node(s) = 2"),
        (job_body(time_limit="3h"), 422, "the partition's maximum is 7200 s"),
        (job_body(gpus=0), 422, "charged per GPU"),
        (job_body(qos="t4"), 422, "QoS 't4' is not one of dev, t3"),
        (job_body(nodes=2, gpus=2), 422, "2 nodes asked, the partition has 1"),
        (job_body(project="theirs"), 404, "No project 'theirs'"),
        (job_body(name="x\n#SBATCH --account=other"), 422, "name"),
        (job_body(name="a b"), 422, "name"),
        (job_body(env={"BAD NAME": "1"}), 422, "not a valid environment variable name"),
        (job_body(time_limit="soon"), 422, "not a duration"),
        (job_body(inputs=[{"kind": "dataset", "ref": "x"}]), 404, "No asset 'x' in the catalogue"),
    ],
)
async def test_refusals_change_nothing(client, db, world, body, status, words):
    before = await _counts(db)
    r = await client.post("/api/v1/jobs", json=body, headers=world.member)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await _counts(db) == before


async def test_no_allocation_expired_and_exhausted(client, db, world):
    # The outsider's own project has no allocation at all.
    r = await client.post("/api/v1/jobs", json=job_body(project="theirs"), headers=world.outsider)
    assert r.status_code == 402 and "has no allocation on 'testc/gpu'" in r.json()["detail"]
    # Expired: only an expired allocation on the cpu partition of 'theirs'.
    await add_allocation(db, "theirs", world.cpu, Decimal(10), state="expired", days=(-60, -1))
    r = await client.post(
        "/api/v1/jobs",
        json=job_body(project="theirs", partition="cpu", gpus=0),
        headers=world.outsider,
    )
    assert r.status_code == 402
    assert "no active allocation" in r.json()["detail"] and "expired" in r.json()["detail"]
    # Exhausted: 100 h on the gpu partition; 2 h x 2 GPUs x 2 = 8 h per job; the 13th fails.
    for _ in range(12):
        ok = await client.post(
            "/api/v1/jobs", json=job_body(gpus=2, time_limit="2h"), headers=world.member
        )
        assert ok.status_code == 201, ok.text
    before = await _counts(db)
    r = await client.post(
        "/api/v1/jobs", json=job_body(gpus=2, time_limit="2h"), headers=world.member
    )
    assert r.status_code == 402, r.text
    body = r.json()
    assert body["requested"] == "8.0000" and body["remaining"] == "4.0000"
    assert "needs 8.0000 normalised hours" in body["detail"] and "has 4.0000 left" in body["detail"]
    assert await _counts(db) == before


async def test_someone_elses_project_is_refused(client, db, world):
    # The outsider cannot see 'proj'; the org owner who is not a member gets a 403.
    r = await client.post("/api/v1/jobs", json=job_body(), headers=world.outsider)
    assert r.status_code == 404
    jobs = (await client.get("/api/v1/jobs", headers=world.outsider)).json()
    assert jobs["total"] == 0


async def test_idempotency_key_returns_first_job(client, db, world):
    h = {**world.member, "Idempotency-Key": "abc-123"}
    first = await client.post("/api/v1/jobs", json=job_body(), headers=h)
    again = await client.post("/api/v1/jobs", json=job_body(), headers=h)
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert await _counts(db) == (1, 1)


async def test_cancel_queued_job_releases_at_once(client, db, world):
    job = (await client.post("/api/v1/jobs", json=job_body(), headers=world.member)).json()
    r = await client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=world.member)
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    kinds = sorted(e.kind for e in await db.scalars(select(LedgerEntry)))
    assert kinds == ["release", "reserve"]
    again = await client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=world.member)
    assert again.status_code == 409 and "already ended" in again.json()["detail"]
    other = await client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=world.outsider)
    assert other.status_code == 404
