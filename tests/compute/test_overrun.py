"""Overruns: a job killed past its time limit is charged in full, its allocation goes into
overrun, and every place that shows a balance says so (API, CSV, pages in EN/FR, mail once).

The case of the issue: a 60 s job on the gpu partition (1 GPU, factor 2) reserves 0.0333 h;
the scheduler stops it 25 s late, so 85 s are charged: 0.0472 h, on an allocation of 0.04 h.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

import pytest
from sqlalchemy import select

from aifhub import access
from aifhub.access.allocations import notify_thresholds
from aifhub.access.ledger import Balance, balances, overrun_of
from aifhub.access.models import Allocation, LedgerEntry
from aifhub.backends.base import AccountingRecord, JobState
from aifhub.compute.accounting import ingest_records
from aifhub.compute.explain import ran_over
from aifhub.compute.models import Job
from aifhub.core.db import make_sessionmaker, utcnow
from aifhub.core.mail import MailMessage, deliver_pending
from aifhub.identity.models import User
from aifhub.resources import Cluster, Partition

from ..access.test_cli import _run, live_url  # noqa: F401 (live_url: a fixture, used by name)
from ..web.helpers import HTML, login

GRANTED = Decimal("0.04")
RESERVED = Decimal("0.0333")  # 60 s x 1 GPU x 2 / 3600
CHARGED = Decimal("0.0472")  # 85 s x 1 GPU x 2 / 3600
OVERRUN = Decimal("0.0072")  # charged - granted


def test_overrun_is_use_beyond_the_limit_never_below_zero():
    assert overrun_of(CHARGED, GRANTED) == OVERRUN
    assert overrun_of(GRANTED, GRANTED) == 0 and overrun_of(Decimal("0.01"), GRANTED) == 0
    # Reserved hours are a hold, not a use: a balance below zero by reservations alone is no
    # overrun (the submission refuses that), settled use beyond the grant is.
    held = Balance.of(GRANTED, reserved=Decimal("0.05"), used=Decimal(0))
    assert held.remaining == Decimal("-0.01") and held.overrun == 0
    over = Balance.of(GRANTED, reserved=Decimal(0), used=CHARGED)
    assert over.remaining == -OVERRUN and over.overrun == OVERRUN
    assert ran_over(None, RESERVED) is None and ran_over(RESERVED, RESERVED) is None
    job = ran_over(CHARGED, RESERVED)
    assert job is not None and job.hours == Decimal("0.0139")


class Ids(NamedTuple):
    job: int
    gpu_alloc: int
    cpu_alloc: int


async def _charge_past_the_limit(db, w) -> Ids:
    """Settle the issue's job from the scheduler's accounting record; returns the ids."""
    gpu = await db.scalar(select(Partition).where(Partition.key == "testc/gpu"))
    cluster = await db.get(Cluster, gpu.cluster_id)
    alloc = await db.scalar(select(Allocation).where(Allocation.partition_id == gpu.id))
    alloc.amount = GRANTED
    other = select(Allocation.id).where(
        Allocation.project_id == alloc.project_id, Allocation.id != alloc.id
    )
    ids = Ids(0, alloc.id, await db.scalar(other))
    member = await db.scalar(select(User).where(User.email == "member@lab.eu"))
    reserved = access.hours(60, 1, Decimal(gpu.charge_factor))
    assert reserved == RESERVED
    job = Job(
        project_id=alloc.project_id, user_id=member.id, cluster_id=cluster.id,
        partition_id=gpu.id, allocation_id=alloc.id, name="over", script="sleep 600",
        time_limit_s=60, gpus=1, state="running", backend_id="990001", reserved_hours=reserved,
    )  # fmt: skip
    db.add(job)
    await db.flush()
    job_id = job.id
    access.reserve(db, allocation_id=alloc.id, amount=reserved, job_key=f"job:{job_id}",
                   user_id=member.id, note="test reservation")  # fmt: skip
    now = utcnow()
    record = AccountingRecord(
        backend_id="990001", account="proj", user="member", partition="gpu",
        state=JobState.TIMEOUT, submitted_at=now - timedelta(seconds=90),
        started_at=now - timedelta(seconds=85), ended_at=now, elapsed_s=85, alloc_gpus=1,
        alloc_cpus=1, comment=f"aifhub:{job_id}", name="aifhub-over",
    )  # fmt: skip
    await db.commit()
    result = await ingest_records(db, cluster, [record])
    await db.commit()
    assert result.charged == 1 and result.hours == CHARGED
    return ids._replace(job=job_id)


async def test_a_job_past_its_limit_is_charged_in_full_and_the_reads_show_the_overrun(
    client, db, world
):
    ids = await _charge_past_the_limit(db, world)
    db.expire_all()
    settled = await db.get(Job, ids.job)
    assert settled.charged_hours == CHARGED and settled.state == "timeout"
    charges = list(
        await db.scalars(
            select(LedgerEntry.amount).where(
                LedgerEntry.allocation_id == ids.gpu_alloc, LedgerEntry.kind == "charge"
            )
        )
    )
    assert charges == [CHARGED]  # in full: beyond the reservation and the remaining hours
    b = (await balances(db, [ids.gpu_alloc]))[ids.gpu_alloc]
    assert (b.granted, b.reserved, b.used) == (GRANTED, 0, CHARGED)
    assert b.remaining == -OVERRUN and b.overrun == OVERRUN
    # The API: the allocation's read and its balance, the usage report, the CSV export.
    r = await client.get(f"/api/v1/allocations/{ids.gpu_alloc}", headers=world.member)
    assert r.status_code == 200, r.text
    body = r.json()
    assert Decimal(body["overrun_hours"]) == OVERRUN
    assert Decimal(body["balance"]["overrun_hours"]) == OVERRUN
    assert Decimal(body["balance"]["remaining"]) == -OVERRUN
    listed = await client.get("/api/v1/allocations?project=proj", headers=world.member)
    by_id = {a["id"]: a for a in listed.json()["items"]}
    assert Decimal(by_id[ids.gpu_alloc]["overrun_hours"]) == OVERRUN
    assert Decimal(by_id[ids.cpu_alloc]["overrun_hours"]) == 0
    usage = (await client.get("/api/v1/projects/proj/usage", headers=world.member)).json()
    overruns = {a["allocation_id"]: Decimal(a["overrun_hours"]) for a in usage["allocations"]}
    assert overruns == {ids.gpu_alloc: OVERRUN, ids.cpu_alloc: Decimal(0)}
    text = (await client.get("/api/v1/projects/proj/usage?format=csv", headers=world.member)).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["allocation_id"], r["hours"], r["allocation_overrun_hours"]) for r in rows] == [
        (str(ids.gpu_alloc), str(CHARGED), str(OVERRUN))
    ]


async def test_member_sees_the_overrun_on_the_pages_in_english_and_french(client, db, world):
    ids = await _charge_past_the_limit(db, world)
    await login(client, "member@lab.eu")
    usage = await client.get("/projects/proj/usage", headers=HTML)
    assert usage.status_code == 200
    sentence = (
        "Used 0.0072 h more than granted on testc/gpu (jobs ran past their time limit and are "
        "charged in full): new jobs there are refused, and the cluster blocks the project at its "
        "next update, until staff grant more hours."
    )
    assert usage.text.count(sentence) == 1  # the gpu allocation only, not the cpu one
    for path in ("/allocations", "/projects/proj"):
        page = await client.get(path, headers=HTML)
        assert page.status_code == 200 and sentence in page.text, path
    home = await client.get("/", headers=HTML)
    assert "1 allocation used more hours than granted" in home.text
    page = await client.get(f"/jobs/{ids.job}", headers=HTML)
    assert "The job ran past its time limit: charged 0.0472 h, reserved 0.0333 h." in page.text
    # French (the language switch's cookie): the same sentences, numbers the French way.
    client.cookies.set("lang", "fr")
    usage = await client.get("/projects/proj/usage", headers=HTML)
    assert "0,0072 h consommées au-delà des heures accordées sur testc/gpu" in usage.text
    assert "Used 0.0072 h" not in usage.text
    hub = await client.get("/projects/proj", headers=HTML)
    assert "0,0072 h consommées au-delà des heures accordées" in hub.text
    page = await client.get(f"/jobs/{ids.job}", headers=HTML)
    assert "a dépassé sa limite de temps : facturé 0,0472 h, réservé 0,0333 h" in page.text


async def test_the_pi_is_mailed_once_when_an_allocation_goes_into_overrun(
    client, db, engine, world, smtp_server
):
    inbox, cfg = smtp_server
    maker = make_sessionmaker(engine)
    async with maker() as s:  # no overrun yet: no overrun mail
        await notify_thresholds(s)
        await s.commit()
    ids = await _charge_past_the_limit(db, world)

    async def overrun_mails() -> list[MailMessage]:
        async with maker() as s:
            kind = MailMessage.kind == "allocation.overrun"
            return list(await s.scalars(select(MailMessage).where(kind)))

    assert await overrun_mails() == []
    async with maker() as s:  # a worker killed before its commit: nothing was queued
        await notify_thresholds(s)
        await s.rollback()
    assert await overrun_mails() == []
    for _ in range(2):  # the restarted worker, then its next round
        async with maker() as s:
            await notify_thresholds(s)
            await s.commit()
    # More hours charged later: still in overrun, still the one mail.
    db.add(LedgerEntry(allocation_id=ids.gpu_alloc, kind="charge",
                       amount=Decimal("0.01"), job_key="testc:late"))  # fmt: skip
    await db.commit()
    async with maker() as s:
        await notify_thresholds(s)
        await s.commit()
    (mail,) = await overrun_mails()
    assert mail.recipient == "pi@lab.eu" and mail.key.startswith(
        f"allocation.overrun:{ids.gpu_alloc}:"
    )
    await deliver_pending(maker, cfg, now=utcnow() + timedelta(minutes=10))
    (sent,) = inbox.to("pi@lab.eu")
    text = " ".join(sent.get_payload(decode=True).decode().split())
    assert "used 0.0472 hours on testc/gpu, 0.0072 more than the 0.0400 granted" in text
    assert "New jobs on testc/gpu are refused" in text


@pytest.mark.parametrize("lookback_days", [10, 40])
async def test_an_allocation_that_ended_lately_is_still_watched(client, db, world, lookback_days):
    ids = await _charge_past_the_limit(db, world)
    alloc = await db.get(Allocation, ids.gpu_alloc)
    alloc.state, alloc.ends_at = "expired", utcnow() - timedelta(days=lookback_days)
    await db.commit()
    await notify_thresholds(db)
    await db.commit()
    keys = list(
        await db.scalars(select(MailMessage.key).where(MailMessage.kind == "allocation.overrun"))
    )
    assert len(keys) == (1 if lookback_days < 30 else 0)


async def test_the_cli_tables_show_the_overrun(
    client,
    db,
    world,
    live_url,  # noqa: F811 (the fixture imported above)
    monkeypatch,
    tmp_path,
):
    ids = await _charge_past_the_limit(db, world)

    def run(*args: str) -> str:
        r = _run(monkeypatch, tmp_path, live_url, world.member, *args)
        assert r.exit_code == 0, r.output
        return " ".join(r.output.split())

    sentence = (
        f"Allocation #{ids.gpu_alloc} used 0.0072 h more than granted on testc/gpu: new jobs there "
        "are refused, and the cluster blocks the project at its next update, until staff grant "
        "more hours."
    )
    usage = await asyncio.to_thread(run, "usage", "proj")
    assert "overrun" in usage and "│ -0.0072 │ 0.0072 │" in usage and sentence in usage
    assert f"Allocation #{ids.cpu_alloc} " not in usage
    listed = await asyncio.to_thread(run, "allocations", "list", "--project", "proj")
    assert "overrun" in listed and "│ -0.0072 │ 0.0072 │" in listed and sentence in listed
    shown = await asyncio.to_thread(run, "allocations", "show", str(ids.cpu_alloc))
    assert "│ 0.0000 │" in shown and "more than granted" not in shown
