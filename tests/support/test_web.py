"""Support pages through a real browser session: form, suggestions, thread, desk."""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.support.models import Ticket, TicketMessage

from ..factories import make_org, make_project, make_user, token_for
from ..web.helpers import HTML, login


async def setup(client, db):
    pi = await make_user(db, "pi@neuro.example")
    h = await token_for(db, pi)
    await make_org(client, h, "neuro")
    await make_project(client, h, "mri", "neuro")
    desk = await make_user(db, "desk@factory.example", staff=("support",))
    await client.post(
        "/api/v1/kb/articles",
        json={"slug": "slurm-pending", "title": "Why is my Slurm job pending?", "body": "squeue"},
        headers=await token_for(db, desk),
    )
    return pi, desk


async def test_ticket_form_suggestions_thread_and_desk(client, db):
    await setup(client, db)
    csrf = await login(client, "pi@neuro.example")
    page = await client.get("/support/new", headers=HTML)
    assert page.status_code == 200 and 'hx-get="/support/suggest"' in page.text
    frag = await client.get("/support/suggest?title=job pending&body=", headers=HTML)
    assert "Why is my Slurm job pending?" in frag.text and "<html" not in frag.text
    r = await client.post(
        "/support/new",
        data={
            "csrf_token": csrf,
            "project": "mri",
            "title": "x",
            "body": "b",
            "category": "compute",
            "priority": "normal",
        },
        headers=HTML,
    )
    assert r.status_code == 422 and await db.scalar(select(func.count()).select_from(Ticket)) == 0
    r = await client.post(
        "/support/new",
        data={
            "csrf_token": csrf,
            "project": "mri",
            "title": "Job pending for hours",
            "body": "Since this morning",
            "category": "compute",
            "priority": "high",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/support/tickets/1"
    r = await client.post(
        "/support/tickets/1/reply",
        data={"csrf_token": csrf, "body": "the log"},
        files={"files": ("run.exe", b"MZ")},
        headers=HTML,
    )
    assert r.status_code == 415 and "allowed extensions" in r.text
    assert await db.scalar(select(func.count()).select_from(TicketMessage)) == 1
    r = await client.post(
        "/support/tickets/1/reply",
        data={"csrf_token": csrf, "body": "the log"},
        files={"files": ("slurm.out", b"pending (Priority)")},
    )
    assert r.status_code == 303
    page = await client.get("/support/tickets/1", headers=HTML)
    assert "slurm.out" in page.text and "First response due" in page.text
    r = await client.post(
        "/support/tickets/1/move", data={"csrf_token": csrf, "to": "resolved"}, headers=HTML
    )
    assert r.status_code == 409 and "assigned, closed" in r.text
    assert (await client.get("/support/desk", headers=HTML)).status_code == 403
    await login(client, "desk@factory.example")
    desk = await client.get("/support/desk", headers=HTML)
    assert desk.status_code == 200 and "Job pending for hours" in desk.text
    assert "median first response" in desk.text
