"""Access pages in-process: apply, submit, review, decide, dashboard; bad forms change nothing."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from aifhub.access.models import Application, Review

from ..factories import make_org, make_project, make_user, token_for
from ..web.helpers import HTML, csrf_of, login
from .helpers import partitions


async def _setup(client, db):
    await partitions(db)
    pi = await make_user(db, "pi@web.example")
    h = await token_for(db, pi)
    await make_org(client, h, "web-org")
    await make_project(client, h, "web-proj", "web-org")
    await make_user(db, "admin@factory.eu", staff=("admin",))
    await make_user(db, "rev@factory.eu", staff=("reviewer",))


def _form(csrf: str, **over: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "project": "web-proj",
        "mode": "fast-lane",
        "title": "Web application",
        "sector": "health",
        "duration_months": "2",
        "partition_1": "jz/a100",
        "amount_1": "1500",
        "technical_description": "8 GPUs for two weeks.",
        **over,
    }


async def test_apply_review_decide_through_the_pages(client, db):
    await _setup(client, db)
    await login(client, "pi@web.example")
    page = await client.get("/applications/new", headers=HTML)
    assert page.status_code == 200 and "Fast Lane" in page.text and "jz/a100" in page.text
    csrf = csrf_of(page.text)
    # Bad input: a duration the mode does not grant; nothing is created.
    bad = await client.post(
        "/applications/new", data=_form(csrf, duration_months="5"), headers=HTML
    )
    assert bad.status_code == 422 and "grants 1, 2, 3 months" in bad.text
    missing = await client.post("/applications/new", data=_form(csrf, amount_1=""), headers=HTML)
    assert missing.status_code == 422
    assert await db.scalar(select(func.count()).select_from(Application)) == 0
    # Without the CSRF token: refused.
    r = await client.post("/applications/new", data=_form(""), headers=HTML)
    assert r.status_code == 403
    r = await client.post("/applications/new", data=_form(csrf), headers=HTML)
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    detail = await client.get(url, headers=HTML)
    assert "Web application" in detail.text and "draft" in detail.text
    r = await client.post(f"{url}/submit", data={"csrf_token": csrf}, headers=HTML)
    assert r.status_code == 303
    detail = await client.get(url, headers=HTML)
    assert "checked" in detail.text and "Decision due by" in detail.text
    # Submitting twice: the page says why, nothing changes.
    r = await client.post(f"{url}/submit", data={"csrf_token": csrf}, headers=HTML)
    follow = await client.get(url, headers=HTML)
    assert "cannot &#39;submit&#39;" in follow.text or "cannot 'submit'" in follow.text
    listing = await client.get("/applications", headers=HTML)
    assert "Web application" in listing.text
    assert (await client.get("/staff/access", headers=HTML)).status_code == 403

    # Staff: assess and assign.
    csrf = await login(client, "admin@factory.eu")
    assert (
        await client.post(f"{url}/assess", data={"csrf_token": csrf}, headers=HTML)
    ).status_code == 303
    r = await client.post(
        f"{url}/assign",
        data={"csrf_token": csrf, "reviewer": "rev@factory.eu", "step": "technical"},
        headers=HTML,
    )
    assert r.status_code == 303
    # Deciding before the review is in: refused with the reason on the page.
    data = {"csrf_token": csrf, "outcome": "accept", "reason": "Fine", "granted:jz/a100": "1000"}
    await client.post(f"{url}/decide", data=data, headers=HTML)
    page = await client.get(url, headers=HTML)
    assert "needs 1 submitted technical review" in page.text

    # Reviewer: queue, form, submit.
    csrf_r = await login(client, "rev@factory.eu")
    queue = await client.get("/staff/reviews", headers=HTML)
    review_url = re.search(r'href="(/staff/reviews/\d+)"', queue.text).group(1)
    form = await client.get(review_url, headers=HTML)
    assert form.status_code == 200 and "feasibility" in form.text
    scores = {f"score:{c}": "4" for c in ("feasibility", "quality", "impact", "resources")}
    r = await client.post(
        f"{review_url}/submit", data={"csrf_token": csrf_r, "comment": "ok", **scores}, headers=HTML
    )
    assert r.status_code == 303
    assert (
        await db.scalar(select(func.count()).where(Review.state == "assigned")) == 1
    )  # short comment
    r = await client.post(
        f"{review_url}/submit",
        data={"csrf_token": csrf_r, "comment": "Sound plan.", **scores},
        headers=HTML,
    )
    assert await db.scalar(select(func.count()).where(Review.state == "submitted")) == 1

    # Staff decide with a reduced amount; the PI sees the allocation.
    csrf = await login(client, "admin@factory.eu")
    r = await client.post(f"{url}/decide", data={**data, "csrf_token": csrf}, headers=HTML)
    assert r.status_code == 303
    board = await client.get("/staff/access", headers=HTML)
    assert board.status_code == 200 and "Fast Lane" in board.text
    await login(client, "pi@web.example")
    home = await client.get("/", headers=HTML)
    assert "Active allocations: 1 (1,000 hours left)" in home.text
    allocs = await client.get("/allocations", headers=HTML)
    assert "jz/a100" in allocs.text and "1,000" in allocs.text


async def test_revise_after_changes_requested(client, db):
    await _setup(client, db)
    csrf = await login(client, "pi@web.example")
    r = await client.post("/applications/new", data=_form(csrf), headers=HTML)
    url = r.headers["location"]
    await client.post(f"{url}/submit", data={"csrf_token": csrf}, headers=HTML)
    csrf_a = await login(client, "admin@factory.eu")
    await client.post(f"{url}/assess", data={"csrf_token": csrf_a}, headers=HTML)
    await client.post(
        f"{url}/request-changes",
        data={"csrf_token": csrf_a, "reason": "Add the datasets."},
        headers=HTML,
    )
    csrf = await login(client, "pi@web.example")
    page = await client.get(url, headers=HTML)
    assert "Add the datasets." in page.text and "Revise" in page.text
    edit = await client.get(f"{url}/edit", headers=HTML)
    assert edit.status_code == 200 and 'value="1500' in edit.text
    bad = await client.post(f"{url}/edit", data=_form(csrf, amount_1="90000"), headers=HTML)
    assert bad.status_code == 422 and "at most 50000" in bad.text
    r = await client.post(
        f"{url}/edit", data=_form(csrf, datasets_models="hf:some/data"), headers=HTML
    )
    assert r.status_code == 303
    await client.post(f"{url}/submit", data={"csrf_token": csrf}, headers=HTML)
    state = await db.scalar(select(Application.state))
    assert state == "checked"
