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


async def test_a_failed_job_page_shows_stderr_exit_code_and_why(client, db, world):
    from .conftest import job_body

    script = "echo step-one-done\nnosuchcmd-xyz --train\n"
    body = job_body(partition="cpu", gpus=0, script=script, time_limit="1m")
    job = (await client.post("/api/v1/jobs", json=body, headers=world.member)).json()
    done = await wait_for(world, job["id"], {"failed", "settled"})
    assert done.exit_code == 127
    # The API says the same as the page: the code, the key, the stderr line that shows it.
    read = (await client.get(f"/api/v1/jobs/{job['id']}", headers=world.member)).json()
    assert read["exit_code"] == 127 and read["settled_at"] is not None
    assert read["explanation"]["key"] == "command_not_found"
    assert "nosuchcmd-xyz: command not found" in read["explanation"]["evidence"]
    listed = (await client.get("/api/v1/jobs", headers=world.member)).json()["items"][0]
    assert listed["explanation"]["key"] == "command_not_found"  # from the exit code alone
    await login(client, "member@lab.eu")
    page = await client.get(f"/jobs/{job['id']}", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "step-one-done" in text  # stdout, in its tab
    assert "nosuchcmd-xyz: command not found" in text  # stderr, in the other tab
    assert 'id="job-panel-stderr"' in text and 'aria-selected="true"' in text
    assert "<dd>127</dd>" in text
    assert "A command was not found (exit code 127)" in text
    assert 'data-key="command_not_found"' in text
    assert "hx-trigger" not in text and "Cancel job" not in text  # ended and charged
    assert f'href="/jobs/{job["id"]}/output/stderr"' in text
    # Without JavaScript, ?tab=stderr shows the stderr panel and hides stdout's.
    tabbed = (await client.get(f"/jobs/{job['id']}?tab=stderr", headers=HTML)).text
    assert (
        'id="job-panel-stdout" data-job-panel="stdout" aria-labelledby="job-tab-stdout" hidden'
        in tabbed
    )
    assert 'aria-labelledby="job-tab-stderr">' in tabbed
    # The downloads are the whole streams, each on its own.
    err = await client.get(f"/jobs/{job['id']}/output/stderr")
    assert err.status_code == 200 and "attachment" in err.headers["content-disposition"]
    assert "nosuchcmd-xyz: command not found" in err.text and "step-one-done" not in err.text
    out = await client.get(f"/jobs/{job['id']}/output/stdout")
    assert out.text == "step-one-done\n"
    assert (await client.get(f"/jobs/{job['id']}/output/other", headers=HTML)).status_code == 422
    # In French.
    client.cookies.set("lang", "fr")
    fr = (await client.get(f"/jobs/{job['id']}", headers=HTML)).text
    assert "Une commande est introuvable (code de sortie 127)" in fr and "Erreurs (stderr)" in fr
    assert ">échec<" in fr


async def test_the_live_fragment_polls_while_the_job_runs_and_stops_once_it_ended(
    client, db, world
):
    from .conftest import job_body

    body = job_body(partition="cpu", gpus=0, script="echo begun; sleep 30", time_limit="1m")
    job = (await client.post("/api/v1/jobs", json=body, headers=world.member)).json()
    csrf = await login(client, "member@lab.eu")
    queued = (await client.get(f"/jobs/{job['id']}/live", headers=HTML)).text
    assert 'hx-trigger="every 2s"' in queued and "Cancel job" in queued
    assert "about to be handed to the cluster" in queued
    await wait_for(world, job["id"], {"running"})
    live = (await client.get(f"/jobs/{job['id']}/live?tab=stderr", headers=HTML)).text
    assert live.startswith('<div id="job-live"') or '<div id="job-live"' in live
    assert 'hx-get="/jobs/' in live and 'hx-trigger="every 2s"' in live
    assert 'hx-swap="outerHTML"' in live and 'value="stderr"' in live  # the tab is kept
    assert ">running<" in live and "Cancel job" in live and "<html" not in live
    r = await client.post(f"/jobs/{job['id']}/cancel", data={"csrf_token": csrf}, headers=HTML)
    assert r.status_code == 303
    await wait_for(world, job["id"], {"cancelled", "settled"})
    ended = (await client.get(f"/jobs/{job['id']}/live", headers=HTML)).text
    assert "hx-trigger" not in ended and "hx-get" not in ended and "Cancel job" not in ended
    assert ">cancelled<" in ended and 'data-key="cancelled"' in ended
    assert 'id="job-charge">0' in ended  # the charge, settled
