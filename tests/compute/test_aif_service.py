"""The AI Factory Compute API's rules in-process, on SQLite and PostgreSQL: the state mapping,
gres, the sacct-like time window of the list, and what a refused submission leaves behind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select

from aifhub.access.models import LedgerEntry
from aifhub.compute import aif_service
from aifhub.compute.models import Job
from aifhub.core.errors import InvalidInput
from aifhub.resources.models import Partition
from aifhub.schemas.enums.compute import JobStatus

BASE = "/compute-api/v1"


def sdk_headers(world_headers: dict[str, str], email: str) -> dict[str, str]:
    """The SDK's two headers for the user of these platform headers."""
    token = world_headers["Authorization"].removeprefix("Bearer ")
    return {"X-SLURM-USER-TOKEN": token, "X-SLURM-USER-NAME": email}


async def test_mounted_at_its_own_base_and_per_project(client, app) -> None:
    paths = {r.path for r in iter_route_contexts(app.routes) if r.path.startswith("/compute")}
    assert paths == {
        f"{base}{path}"
        for base in (BASE, f"{BASE}/projects/{{project}}")
        for path in ("/jobs", "/jobs/container", "/jobs/{job_id}")
    }
    spec = (await client.get("/api/v1/openapi.json")).json()
    assert sorted(p for p in spec["paths"] if p.startswith("/compute")) == [
        f"{BASE}/jobs", f"{BASE}/jobs/container", f"{BASE}/jobs/{{job_id}}",
    ]  # fmt: skip


def test_every_platform_state_has_one_of_the_four() -> None:
    assert set(aif_service.AIF_STATUS) == set(JobStatus)
    assert set(aif_service.AIF_STATUS.values()) == {"queued", "running", "completed", "errored"}
    assert aif_service.aif_status("pending") == "queued"
    assert aif_service.aif_status("cancelled") == "errored"
    assert aif_service.aif_status("out_of_memory") == "errored"


@pytest.mark.parametrize(
    ("gres", "gpus"),
    [(None, 0), ("gpu", 1), ("gpu:2", 2), ("gpu:a100:2", 2), ("gpu:A100", 1)],
)
def test_gres_counts_gpus(gres: str | None, gpus: int) -> None:
    partition = Partition(key="c/gpu", name="gpu", accelerator="A100")
    assert aif_service.gpus_of(gres, partition) == gpus


@pytest.mark.parametrize(
    ("gres", "words"),
    [
        ("gpu:h100:1", "'h100' GPUs; partition 'c/gpu' has 'A100' GPUs"),
        ("gpu:0", "1 GPU or more"),
        ("shard:2", "not understood"),
        ("gpu:a:b:c", "not understood"),
    ],
)
def test_gres_refusals_name_the_fix(gres: str, words: str) -> None:
    partition = Partition(key="c/gpu", name="gpu", accelerator="A100")
    with pytest.raises(InvalidInput) as refused:
        aif_service.gpus_of(gres, partition)
    assert words in refused.value.detail


async def _submit(client, headers: dict[str, str], name: str) -> str:
    body = {"name": name, "script": "true", "partition": "testc/cpu", "time_limit": 5}
    r = await client.post(f"{BASE}/jobs", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["job_id"])


def _at(hour: int) -> datetime:
    return datetime(2026, 1, 10, hour, tzinfo=UTC)


async def test_the_list_window_as_sacct_selects(client, db, world) -> None:
    pi = sdk_headers(world.pi, "pi@lab.eu")
    old, running, queued = [await _submit(client, pi, n) for n in ("old", "running", "queued")]
    # Fixed moments: `old` lived 01:00-02:00, `running` since 05:00, `queued` was sent at 08:00.
    moments = {
        old: dict(created_at=_at(1), started_at=_at(1), ended_at=_at(2), state="completed",
                  elapsed_s=3600),
        running: dict(created_at=_at(4), started_at=_at(5), state="running"),
        queued: dict(created_at=_at(8)),
    }  # fmt: skip
    for job_id, values in moments.items():
        job = await db.get(Job, int(job_id))
        for key, value in values.items():
            setattr(job, key, value)
    await db.commit()

    async def listed(**params: int) -> list[str]:
        r = await client.get(f"{BASE}/jobs", params={"limit": 500, **params}, headers=pi)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == len(body["jobs"])
        return [j["job_id"] for j in body["jobs"]]

    ts = {h: int(_at(h).timestamp()) for h in range(24)}
    assert await listed() == [queued, running, old]  # newest first
    assert await listed(start_time=ts[3]) == [queued, running]  # `old` ended before
    assert await listed(end_time=ts[6]) == [running, old]  # `queued` was sent after
    assert await listed(start_time=ts[3], end_time=ts[6]) == [running]
    assert await listed(update_time=ts[5]) == [queued, running]  # `running` started at 05:00
    assert await listed(update_time=ts[9]) == []
    r = await client.get(f"{BASE}/jobs/{old}", headers=pi)
    detail = r.json()
    assert detail["status"] == "completed" and detail["duration"] == 3600
    assert (detail["start_time"], detail["end_time"]) == (ts[1], ts[2])
    assert detail["partition"] == "cpu" and detail["submit_time"] == ts[1]
    # The list of a project-scoped base URL shows that project's jobs only.
    r = await client.get(f"{BASE}/projects/theirs/jobs", headers=pi)
    assert r.status_code == 200 and r.json()["total"] == 0


async def test_refused_submissions_record_nothing(client, db, world) -> None:
    def counts() -> object:
        return select(func.count(Job.id)), select(func.count(LedgerEntry.id))

    jobs_q, ledger_q = counts()
    before = (await db.scalar(jobs_q), await db.scalar(ledger_q))
    member = sdk_headers(world.member, "member@lab.eu")
    for body, status, words in [
        ({"name": "x", "script": "true"}, 422, "Name a partition"),
        ({"name": "x", "script": "true", "partition": "testc/cpu", "time_limit": 61}, 422,
         "3660 s asked"),
        ({"name": "x", "script": "true", "partition": "testc/gpu", "gres": "gpu:3"}, 422,
         "3 GPUs asked"),
        ({"name": "a b", "script": "true", "partition": "testc/cpu"}, 422, "name"),
        ({"name": "x", "script": "true", "partition": "testc/cpu", "standard_error": "e"}, 422,
         "standard_error is not supported"),
        ({"name": "x", "script": "true", "partition": "testc/cpu", "mem": 1}, 422, "mem"),
    ]:  # fmt: skip
        r = await client.post(f"{BASE}/jobs", json=body, headers=member)
        assert r.status_code == status and words in r.json()["detail"], (body, r.text)
    r = await client.post(
        f"{BASE}/jobs",
        json={"name": "x", "script": "true", "partition": "testc/cpu"},
        headers={**member, "X-AIFHUB-PROJECT": "theirs"},
    )
    assert r.status_code == 404 and "No project 'theirs'" in r.json()["detail"]
    r = await client.post(
        f"{BASE}/jobs/container",
        json={"name": "c", "image": "docker://alpine:3"},
        headers=member,
    )
    assert r.status_code == 422 and r.json()["type"].endswith("/container-jobs-unavailable")
    assert (await db.scalar(jobs_q), await db.scalar(ledger_q)) == before
