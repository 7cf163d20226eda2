"""The new-ticket form takes attachments, checked like a reply's."""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.support.models import Ticket, TicketAttachment

from ..web.helpers import HTML, login
from .test_web import setup

FIELDS = {
    "project": "mri",
    "title": "Entraînement bloqué à l'époque 3",
    "body": "Ligne une\nLigne deux",
    "category": "compute",
    "priority": "normal",
}


async def test_a_ticket_opens_with_its_attachment(client, db):
    await setup(client, db)
    csrf = await login(client, "pi@neuro.example")
    page = await client.get("/support/new", headers=HTML)
    assert 'enctype="multipart/form-data"' in page.text and 'id="f-files"' in page.text
    bad = await client.post(
        "/support/new",
        data={**FIELDS, "csrf_token": csrf},
        files={"files": ("run.exe", b"MZ")},
        headers=HTML,
    )
    assert bad.status_code == 422 and "allowed extensions" in bad.text
    assert await db.scalar(select(func.count()).select_from(Ticket)) == 0
    r = await client.post(
        "/support/new",
        data={**FIELDS, "csrf_token": csrf},
        files={"files": ("train.log", b"epoch 3: CUDA out of memory")},
    )
    assert r.status_code == 303
    page = await client.get(r.headers["location"], headers=HTML)
    assert "train.log" in page.text and "Entraînement bloqué" in page.text
    names = list(await db.scalars(select(TicketAttachment.filename)))
    assert names == ["train.log"]
