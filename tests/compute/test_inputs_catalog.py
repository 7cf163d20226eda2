"""Job inputs through the catalogue hook: grants checked at submission and again at delivery."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import func, select

from aifhub.access.models import LedgerEntry
from aifhub.catalog.models import AccessLogEntry
from aifhub.compute.models import Job
from aifhub.core.infra import build_infrastructure

from ..catalog.helpers import owner_with_asset, publish
from .conftest import World, job_body, run_worker_round, wait_for

ASSET = "/api/v1/catalog/neuro/mri-small"
PURPOSE = "Segmentation model training on the factory"
INPUT = {"kind": "dataset", "ref": "neuro/mri-small@v1"}


def _world(world: World, settings) -> World:
    """The worker sees the app's folders and store, where the catalogue keeps the uploaded
    files (and keeps its own backends, which the world fixture closes)."""
    app_side = build_infrastructure(settings)
    infra = dataclasses.replace(world.infra, paths=app_side.paths, store=app_side.store)
    return dataclasses.replace(world, infra=infra)


async def _counts(db) -> tuple[int, int, int]:
    n = [
        await db.scalar(select(func.count()).select_from(t))
        for t in (Job, LedgerEntry, AccessLogEntry)
    ]
    return int(n[0] or 0), int(n[1] or 0), int(n[2] or 0)


async def _grant(client, owner, pi) -> int:
    r = await client.post(
        ASSET + "/requests", json={"project": "proj", "purpose": PURPOSE}, headers=pi
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = await client.post(f"/api/v1/access-requests/{cid}/agree", json={}, headers=owner)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/access-requests/{cid}/finalize", headers=pi)
    assert r.status_code == 200, r.text
    return int(cid)


async def test_gated_input_without_grant_is_refused_and_creates_nothing(client, db, world):
    owner = await owner_with_asset(client, db, access_policy="gated")
    await publish(client, owner, "neuro/mri-small", "v1", {"x.txt": b"1"})
    before = await _counts(db)
    r = await client.post("/api/v1/jobs", json=job_body(inputs=[INPUT]), headers=world.member)
    assert r.status_code == 403, r.text
    assert "neuro/mri-small" in r.json()["detail"] and r.json()["asset"] == "neuro/mri-small"
    assert await _counts(db) == before
    # The wrong kind, or the same asset twice, is a 422 that also changes nothing.
    bad = [{"kind": "model", "ref": "neuro/mri-small"}]
    r = await client.post("/api/v1/jobs", json=job_body(inputs=bad), headers=world.member)
    assert r.status_code == 422 and "is a dataset, not a model" in r.json()["detail"]
    assert await _counts(db) == before
    twice = [INPUT, {"kind": "dataset", "ref": "neuro/mri-small"}]
    r = await client.post("/api/v1/jobs", json=job_body(inputs=twice), headers=world.member)
    assert r.status_code == 422 and "is named twice" in r.json()["detail"]
    assert await _counts(db) == before


async def test_grant_revoked_while_queued_stops_the_job(client, db, world, settings):
    w = _world(world, settings)
    owner = await owner_with_asset(client, db, access_policy="gated")
    await publish(client, owner, "neuro/mri-small", "v1", {"x.txt": b"1"})
    cid = await _grant(client, owner, world.pi)
    r = await client.post("/api/v1/jobs", json=job_body(inputs=[INPUT]), headers=world.member)
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    assert r.json()["state"] == "queued"
    r = await client.post(f"/api/v1/access-requests/{cid}/terminate", json={}, headers=owner)
    assert r.status_code == 200, r.text
    await run_worker_round(w)
    async with w.maker() as s:
        job = await s.get(Job, job_id)
        assert job is not None
        assert job.state == "failed" and job.backend_id is None and job.delivered_at is None
        assert f"grant #{cid} terminated" in (job.reason or "")
        assert "neuro/mri-small" in (job.reason or "")
        kinds = sorted(await s.scalars(select(LedgerEntry.kind)))
        assert kinds == ["release", "reserve"]  # the whole reservation lifted, nothing charged
        assert await s.scalar(select(func.count()).select_from(AccessLogEntry)) == 0
    # Nothing reached the backend.
    jobs_dir = w.settings.site_file.parent / "backend" / "jobs"
    assert not jobs_dir.exists() or not any(jobs_dir.iterdir())


async def test_open_input_is_staged_and_read_by_the_job(client, db, world, settings):
    w = _world(world, settings)
    owner = await owner_with_asset(client, db, access_policy="open")
    await publish(client, owner, "neuro/mri-small", "v1", {"a/x.txt": b"scan-42\n"})
    script = 'cat "$AIFHUB_INPUT_NEURO_MRI_SMALL/a/x.txt"'
    body = job_body(partition="cpu", gpus=0, script=script, inputs=[INPUT])
    r = await client.post("/api/v1/jobs", json=body, headers=world.member)
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    done = await wait_for(w, job_id, {"completed", "settled"})
    log = (await client.get(f"/api/v1/jobs/{job_id}/log", headers=world.member)).json()
    assert log["text"] == "scan-42\n"
    state_dir = w.settings.site_file.parent / "backend"
    spec = json.loads((state_dir / "jobs" / done.backend_id / "job.json").read_text())["spec"]
    [staged] = spec["inputs"]
    assert staged["name"] == "neuro/mri-small" and staged["mount_path"] == "/inputs/neuro/mri-small"
    folder = settings.var_dir / "job-inputs" / str(job_id) / "neuro/mri-small"
    assert staged["source_path"] == str(folder)
    assert oct((folder / "a" / "x.txt").stat().st_mode & 0o777) == "0o444"  # read-only
    async with w.maker() as s:
        row = await s.scalar(select(AccessLogEntry))
        assert row is not None
        assert (row.action, row.job_key, row.contract_id) == ("stage", f"job:{job_id}", None)
