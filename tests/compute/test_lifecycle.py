"""Jobs through the worker on the real local backend: delivery, states, logs, settlement."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

from sqlalchemy import func, select

from aifhub.access.models import LedgerEntry
from aifhub.backends.base import BackendUnavailable, JobSpec
from aifhub.backends.local import LocalBackend
from aifhub.compute.accounting import charge_of
from aifhub.compute.cluster_backends import backend_for
from aifhub.compute.models import Job
from aifhub.compute.tasks import deliver, ingest_accounting
from aifhub.core.mail import MailMessage
from aifhub.core.modules import TaskContext

from .conftest import job_body, run_worker_round, wait_for

TERMINAL = {"completed", "failed", "cancelled", "timeout", "node_fail", "out_of_memory"}


async def test_job_runs_and_is_settled_from_accounting(client, db, world):
    body = job_body(script="echo hello from $AIFHUB_JOB_ID; sleep 1.2", gpus=2, time_limit="10m")
    r = await client.post("/api/v1/jobs", json=body, headers=world.member)
    assert r.status_code == 201, r.text
    job = r.json()
    done = await wait_for(world, job["id"], {"completed", "settled"})
    assert done.backend_id is not None and done.exit_code == 0
    # Charge = elapsed x 2 GPUs x factor 2, the reservation (10 min x 2 x 2 = 0.6667 h) lifted.
    assert done.elapsed_s is not None and done.elapsed_s >= 1
    expected = (Decimal(done.elapsed_s) * 4 / 3600).quantize(Decimal("0.0001"))
    assert done.charged_hours == expected
    entries = {(e.kind, e.amount) for e in await db.scalars(select(LedgerEntry))}
    assert entries == {
        ("reserve", Decimal("0.6667")),
        ("release", Decimal("0.6667")),
        ("charge", expected),
    }
    log = (await client.get(f"/api/v1/jobs/{job['id']}/log", headers=world.member)).json()
    assert log["text"] == f"hello from {job['id']}\n" and log["finished"]
    follow = await client.get(
        f"/api/v1/jobs/{job['id']}/log", params={"offset": log["next_offset"]}, headers=world.member
    )
    assert follow.json()["text"] == ""
    usage = (await client.get("/api/v1/projects/proj/usage", headers=world.pi)).json()
    row = usage["rows"][0]
    assert row["user"] == "member@lab.eu" and Decimal(row["hours"]) == expected
    csv = await client.get("/api/v1/projects/proj/usage?format=csv", headers=world.pi)
    assert csv.headers["content-type"].startswith("text/csv")
    assert "member@lab.eu" in csv.text and csv.text.startswith("day,allocation_id")
    # Running the accounting again charges nothing twice.
    await run_worker_round(world)
    assert await db.scalar(select(func.count()).select_from(LedgerEntry)) == 3


async def test_a_script_typed_in_a_browser_runs_line_by_line(client, world):
    # A textarea sends CRLF line ends; every line must run as the user typed it.
    script = "echo 'héllo à tous'\r\nprintf '%s\\n' ok\r\nexit 0\r\n"
    body = job_body(partition="cpu", gpus=0, script=script, time_limit="1m")
    job = (await client.post("/api/v1/jobs", json=body, headers=world.member)).json()
    done = await wait_for(world, job["id"], {"completed", "failed"})
    assert (done.state, done.exit_code) == ("completed", 0), done.reason
    log = (await client.get(f"/api/v1/jobs/{job['id']}/log", headers=world.member)).json()
    assert log["text"] == "héllo à tous\nok\n"


async def test_job_settled_by_accounting_before_any_poll_keeps_its_exit_code(client, world):
    # The accounting round can see a job end before the poll round does; the job page must
    # still show the exit code, and a later poll (which skips ended jobs) cannot add it.
    body = job_body(partition="cpu", gpus=0, script="exit 7", time_limit="1m")
    job = (await client.post("/api/v1/jobs", json=body, headers=world.member)).json()
    ctx = TaskContext(world.maker, world.infra)
    await deliver(ctx)
    deadline = time.monotonic() + 30
    while True:
        await ingest_accounting(ctx)
        async with world.maker() as s:
            row = await s.get(Job, job["id"])
            assert row is not None
            if row.settled_at is not None:
                break
        assert time.monotonic() < deadline, "never settled"
        await asyncio.sleep(0.1)
    assert (row.state, row.exit_code) == ("failed", 7)


async def test_job_killed_by_the_scheduler_at_its_time_limit(client, db, world):
    body = job_body(partition="cpu", gpus=0, script="sleep 30", time_limit="2s")
    job = (await client.post("/api/v1/jobs", json=body, headers=world.member)).json()
    done = await wait_for(world, job["id"], {"timeout", "settled"}, within=40)
    assert done.state == "timeout"
    assert done.charged_hours is not None and done.charged_hours <= Decimal("0.0015")


async def test_directive_injection_in_script_stays_in_the_script(client, db, world):
    script = "#SBATCH --account=someone-else\n#SBATCH --gres=gpu:8\necho ran"
    job = (
        await client.post("/api/v1/jobs", json=job_body(script=script), headers=world.member)
    ).json()
    done = await wait_for(world, job["id"], {"completed", "settled"})
    assert done.account == "proj" and done.gpus == 1
    # What the backend received: the platform's account and GPUs; the lines stay script text.
    state_dir = world.settings.site_file.parent / "backend"
    ran = json.loads((state_dir / "jobs" / done.backend_id / "job.json").read_text())["spec"]
    assert ran["account"] == "proj" and ran["gpus"] == 1 and ran["script"] == script
    assert ran["name"] == f"aifhub-{done.id}-train" and ran["comment"] == f"aifhub:{done.id}"


class SwitchableBackend(LocalBackend):
    """FAKE outage switch around the real local backend: a cluster going down cannot be
    produced on this machine otherwise (root ignores permissions)."""

    down = False

    async def health(self) -> bool:
        return not self.down and await super().health()

    async def submit(self, spec: JobSpec) -> str:
        if self.down:
            raise BackendUnavailable("connection refused (test outage)")
        return await super().submit(spec)


async def test_backend_down_then_back(client, db, world, tmp_path):
    async with world.maker() as s:
        from aifhub.resources.models import Cluster

        cluster = await s.scalar(select(Cluster).where(Cluster.name == "testc"))
    real = backend_for(world.infra.backends, cluster)
    fake = SwitchableBackend(real.state_dir, cpus=2, gpus=2, mem_mb=4096, sandbox=False)
    fake.down = True
    world.infra.backends.replace("testc", fake)
    try:
        job = (await client.post("/api/v1/jobs", json=job_body(), headers=world.member)).json()
        await run_worker_round(world)
        shown = (await client.get(f"/api/v1/jobs/{job['id']}", headers=world.member)).json()
        assert shown["state"] == "queued"
        assert "cluster 'testc' is unavailable" in shown["reason"]
        fake.down = False
        done = await wait_for(world, job["id"], {"completed", "settled"})
        assert done.backend_id is not None and done.attempts == 1
    finally:
        world.infra.backends.replace("testc", None)
        await fake.aclose()


async def test_cancel_running_job(client, db, world):
    job = (
        await client.post("/api/v1/jobs", json=job_body(script="sleep 60"), headers=world.member)
    ).json()
    await wait_for(world, job["id"], {"running"})
    r = await client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=world.member)
    assert r.status_code == 200 and r.json()["cancel_requested"]
    done = await wait_for(world, job["id"], {"cancelled", "settled"})
    assert done.charged_hours is not None


async def test_direct_jobs_and_usage_notices(client, db, world):
    """A job run on the cluster under the project's account (no platform job) is charged."""
    async with world.maker() as s:
        from aifhub.resources.models import Cluster

        cluster = await s.scalar(select(Cluster).where(Cluster.name == "testc"))
    backend = backend_for(world.infra.backends, cluster)
    spec = JobSpec(name="direct", script="sleep 1", partition="gpu", account="proj", user="jdoe",
                   time_limit_s=60, gpus=2)  # fmt: skip
    backend_id = await backend.submit(spec)
    # By time, not by a count of rounds: a round's speed depends on the machine's load.
    deadline = time.monotonic() + 40
    while True:
        await run_worker_round(world)
        charged = await db.scalar(
            select(LedgerEntry).where(LedgerEntry.job_key == f"testc:{backend_id}")
        )
        if charged is not None or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert charged is not None and charged.allocation_id == world.gpu_alloc.id
    assert charged.login == "jdoe" and charged.kind == "charge"
    record = next(
        r
        for r in await backend.accounting(charged.at.replace(year=2000))
        if r.backend_id == backend_id
    )
    assert charged.amount == charge_of(world.gpu, record)
    # Push use past 80 % with a staff adjustment, then one more charge: one mail per member.
    db.add(
        LedgerEntry(
            allocation_id=world.gpu_alloc.id, kind="adjust", amount=Decimal(85), note="test"
        )
    )
    await db.commit()
    from aifhub.access.allocations import notify_thresholds

    async with world.maker() as s:  # the access domain's notices read the compute ledger
        await notify_thresholds(s)
        await notify_thresholds(s)
        await s.commit()
    mails = list(
        await db.scalars(select(MailMessage).where(MailMessage.kind == "allocation.usage"))
    )
    # Once, to the PI, whatever the number of rounds.
    assert [(m.recipient, "80% used" in m.subject) for m in mails] == [("pi@lab.eu", True)]


async def test_a_job_writing_to_stderr_and_failing_keeps_both_streams_apart(client, world):
    script = "echo to-stdout\necho to-stderr >&2\necho more-out\nexit 3\n"
    body = job_body(partition="cpu", gpus=0, script=script, time_limit="1m")
    job = (await client.post("/api/v1/jobs", json=body, headers=world.member)).json()
    done = await wait_for(world, job["id"], {"failed", "settled"})
    assert (done.state, done.exit_code) == ("failed", 3)
    url = f"/api/v1/jobs/{job['id']}/log"
    out = (await client.get(url, headers=world.member)).json()
    err = (await client.get(url, params={"stream": "stderr"}, headers=world.member)).json()
    assert out["text"] == "to-stdout\nmore-out\n" and out["stream"] == "stdout"
    assert err["text"] == "to-stderr\n" and err["stream"] == "stderr" and err["finished"]
    read = (await client.get(f"/api/v1/jobs/{job['id']}", headers=world.member)).json()
    assert read["exit_code"] == 3 and read["state"] == "failed"
    assert read["explanation"]["key"] == "nonzero_exit"
    bad = await client.get(url, params={"stream": "both"}, headers=world.member)
    assert bad.status_code == 422
