"""Job pages: the form (refusal shown next to the field, nothing stored), detail, usage plot."""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.compute.models import Job

from ..web.helpers import HTML, login
from .conftest import wait_for


async def test_submit_form_detail_and_usage(client, db, world):
    csrf = await login(client, "member@lab.eu")
    form = await client.get("/jobs/new", headers=HTML)
    assert form.status_code == 200 and "testc/gpu" in form.text
    bad = {
        "csrf_token": csrf, "project": "proj", "partition": "testc/gpu", "name": "web",
        "gpus": "5", "nodes": "1", "ntasks": "1", "cpus_per_task": "1", "time_limit": "10m",
        "script": "echo from-the-web", "env": "GREETING=bonjour",
    }  # fmt: skip
    r = await client.post("/jobs/new", data=bad, headers=HTML)
    assert r.status_code == 422 and "5 GPUs asked" in r.text
    assert await db.scalar(select(func.count()).select_from(Job)) == 0
    r = await client.post("/jobs/new", data={**bad, "gpus": "1"}, headers=HTML)
    assert r.status_code == 303, r.text
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    page = await client.get(f"/jobs/{job_id}", headers=HTML)
    assert page.status_code == 200 and 'hx-get="/jobs/' in page.text and "queued" in page.text
    await wait_for(world, job_id, {"completed", "settled"})
    tail = await client.get(f"/jobs/{job_id}/log-tail", headers=HTML)
    assert "from-the-web" in tail.text and "hx-trigger" not in tail.text  # polling stops
    listing = await client.get("/jobs", headers=HTML)
    assert f'href="/jobs/{job_id}"' in listing.text
    await login(client, "pi@lab.eu")
    usage = await client.get("/projects/proj/usage", headers=HTML)
    assert usage.status_code == 200 and "<svg" in usage.text and "<polyline" in usage.text
    assert "member@lab.eu" in usage.text


async def test_job_page_of_someone_else_is_404(client, db, world):
    from .conftest import job_body

    job = (await client.post("/api/v1/jobs", json=job_body(), headers=world.member)).json()
    await login(client, "outsider@other.eu")
    r = await client.get(f"/jobs/{job['id']}", headers=HTML)
    assert r.status_code == 404
