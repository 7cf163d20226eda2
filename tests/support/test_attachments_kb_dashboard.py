"""Attachments (types, size), article suggestions and the desk dashboard's query count."""

from __future__ import annotations

from sqlalchemy import event, func, select

from aifhub.support.models import TicketAttachment, TicketMessage

from .helpers import desk_and_project, open_ticket

MiB = 1024 * 1024


async def n_messages(db) -> int:
    return int(await db.scalar(select(func.count()).select_from(TicketMessage)))


async def test_attachment_roundtrip_and_bad_files_change_nothing(client, db, settings):
    s = await desk_and_project(client, db)
    tid = (await open_ticket(client, s["pi"]))["id"]
    url = f"/api/v1/tickets/{tid}/messages"
    log = b"srun: error: node12: task 0: Exited with exit code 1\n"
    r = await client.post(
        url, data={"body": "job log"}, files={"files": ("slurm-42.out", log)}, headers=s["pi"]
    )
    assert r.status_code == 201, r.text
    att = r.json()["attachments"][0]
    assert att["content_type"] == "text/plain" and att["size"] == len(log)
    got = await client.get(f"/api/v1/tickets/{tid}/attachments/{att['id']}", headers=s["desk"])
    assert got.status_code == 200 and got.content == log
    assert got.headers["x-content-type-options"] == "nosniff"
    before = await n_messages(db)
    r = await client.post(
        url, data={"body": "x"}, files={"files": ("run.exe", b"MZ\x90")}, headers=s["pi"]
    )
    assert r.status_code == 415 and "allowed extensions" in r.json()["detail"]
    r = await client.post(
        url, data={"body": "x"}, files={"files": ("shot.png", b"GIF89a")}, headers=s["pi"]
    )
    assert r.status_code == 415 and "does not look like a .png" in r.json()["detail"]
    big = b"a" * (10 * MiB + 1)
    r = await client.post(
        url,
        data={"body": "x"},
        files=[("files", ("ok.txt", b"fine")), ("files", ("huge.log", big))],
        headers=s["pi"],
    )
    assert r.status_code == 413 and "10 MiB" in r.json()["detail"]
    assert await n_messages(db) == before
    assert await db.scalar(select(func.count()).select_from(TicketAttachment)) == 1
    r = await client.get(f"/api/v1/tickets/{tid}/attachments/999", headers=s["pi"])
    assert r.status_code == 404


async def test_kb_suggestions_rank_the_relevant_article(client, db):
    s = await desk_and_project(client, db)
    for slug, title, body in (
        ("rocm-porting", "Porting CUDA code to ROCm on MI250X", "Use hipify-perl, then ..."),
        ("slurm-pending", "Why is my Slurm job pending?", "Check squeue reasons, QoS ..."),
        ("gdpr-health", "Health data and GDPR", "Pseudonymise before upload ..."),
    ):
        r = await client.post(
            "/api/v1/kb/articles",
            json={"slug": slug, "title": title, "body": body},
            headers=s["desk"],
        )
        assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/kb/articles", json={"slug": "x1", "title": "t", "body": "b"}, headers=s["pi"]
    )
    assert r.status_code == 403
    hits = (await client.get("/api/v1/kb/search?q=my job stays pending", headers=s["pi"])).json()
    assert hits[0]["slug"] == "slurm-pending"
    hits = (await client.get("/api/v1/kb/search?q=rocm porting", headers=s["pi"])).json()
    assert hits[0]["slug"] == "rocm-porting"
    assert (await client.get("/api/v1/kb/search?q=ab", headers=s["pi"])).json() == []


async def test_dashboard_figures_with_constant_query_count(client, db, app):
    s = await desk_and_project(client, db)
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):  # noqa: ARG001
        statements.append(statement)

    async def measured() -> tuple[int, dict]:
        statements.clear()
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        try:
            r = await client.get("/api/v1/support/dashboard", headers=s["desk"])
        finally:
            event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)
        assert r.status_code == 200, r.text
        return len(statements), r.json()

    t = await open_ticket(client, s["pi"])
    await client.post(
        f"/api/v1/tickets/{t['id']}/assign", json={"expert_id": s["rocm"].id}, headers=s["desk"]
    )
    await client.post(
        f"/api/v1/tickets/{t['id']}/messages", data={"body": "on it"}, headers=s["rocm_h"]
    )
    few, d = await measured()
    assert d["open_tickets"] == 1 and d["by_state"] == {"assigned": 1}
    assert d["median_first_response_working_hours"] is not None
    loads = {x["name"]: x["open_tickets"] for x in d["load"]}
    assert loads == {"Rita Rocm": 1, "Leo Llm": 0}
    for _ in range(12):
        await open_ticket(client, s["pi"])
    many, d = await measured()
    assert d["open_tickets"] == 13
    assert many == few
    r = await client.get("/api/v1/support/dashboard", headers=s["pi"])
    assert r.status_code == 403
