"""The staff dashboard: figures on known data, and a query count that does not grow with rows."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event, select

from aifhub.access.models import AccessMode, Application
from aifhub.core.db import utcnow
from aifhub.identity.models import Project

from .helpers import api_user, world


async def _seed(
    db, project_id: int, mode_id: int, durations_days: list[float], *, open_late: int = 0
):
    base = utcnow() - timedelta(days=400)
    for i, d in enumerate(durations_days):
        submitted = base + timedelta(days=i)
        decided = submitted + timedelta(days=d)
        db.add(
            Application(
                project_id=project_id,
                mode_id=mode_id,
                state="allocated",
                title=f"a{i}",
                sector="health",
                duration_months=1,
                submitted_at=submitted,
                decided_at=decided,
                due_date=(submitted + timedelta(days=3)).date(),
            )
        )
    for i in range(open_late):
        db.add(
            Application(
                project_id=project_id,
                mode_id=mode_id,
                state="technical_assessment",
                title=f"o{i}",
                sector="health",
                duration_months=1,
                submitted_at=utcnow() - timedelta(days=30),
                due_date=date.today() - timedelta(days=10),
            )
        )
    db.add(
        Application(
            project_id=project_id,
            mode_id=mode_id,
            state="draft",
            title="d",
            sector="health",
            duration_months=1,
        )
    )
    await db.commit()


async def _ids(client, db, w):
    await client.get("/api/v1/access-modes", headers=w.pi)  # syncs the modes
    modes = {m.slug: m.id for m in await db.scalars(select(AccessMode))}
    project_id = await db.scalar(select(Project.id).where(Project.slug == w.project))
    return modes, project_id


async def test_dashboard_figures(client, db):
    w = await world(client, db)
    modes, pid = await _ids(client, db, w)
    # Ten decisions taking 1..10 days: nearest-rank median 5, p90 9; 7 after the due date.
    await _seed(db, pid, modes["fast-lane"], [float(d) for d in range(1, 11)], open_late=2)
    r = await client.get("/api/v1/staff/access-dashboard", headers=w.admin)
    assert r.status_code == 200, r.text
    stats = {m["mode"]: m for m in r.json()["modes"]}
    fl = stats["fast-lane"]
    assert (fl["submitted"], fl["open"], fl["decided"]) == (12, 2, 10)
    assert fl["median_days"] == 5.0 and fl["p90_days"] == 9.0
    # decided after due (submitted + 3 days): durations 4..10 days -> 7, plus 2 open and overdue.
    assert fl["late"] == 9
    assert stats["large-scale"] == {**stats["large-scale"], "submitted": 0, "median_days": None}
    assert (await client.get("/api/v1/staff/access-dashboard", headers=w.pi)).status_code == 403


async def test_dashboard_query_count_is_constant(client, db, app):
    w = await world(client, db)
    modes, pid = await _ids(client, db, w)
    counted: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        counted.append(statement)

    engine = app.state.engine.sync_engine
    # Warm up: the first call of a token records its use (one write, once).
    await client.get("/api/v1/staff/access-dashboard", headers=w.admin)
    event.listen(engine, "before_cursor_execute", count)
    try:
        figures = []
        for n in (3, 60):
            await _seed(db, pid, modes["fast-lane"], [1.0] * n)
            await _seed(db, pid, modes["large-scale"], [2.0] * n, open_late=n)
            counted.clear()
            r = await client.get("/api/v1/staff/access-dashboard", headers=w.admin)
            assert r.status_code == 200
            figures.append(len(counted))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert figures[0] == figures[1], figures
    assert figures[0] <= 8  # auth (token, user, roles), mode sync, 3 dashboard queries


async def test_list_endpoints_query_count_is_constant(client, db, app):
    w = await world(client, db)
    modes, pid = await _ids(client, db, w)
    counted: list[str] = []
    engine = app.state.engine.sync_engine
    await client.get("/api/v1/applications", headers=w.admin)

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        counted.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        figures = []
        for n in (2, 40):
            await _seed(db, pid, modes["fast-lane"], [1.0] * n)
            counted.clear()
            r = await client.get("/api/v1/applications?limit=500", headers=w.admin)
            assert r.status_code == 200
            figures.append(len(counted))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert figures[0] == figures[1], figures


async def test_other_staff_roles_see_the_dashboard_but_applicants_do_not(client, db):
    h = await api_user(db, "support@f.eu", staff=("support",))
    assert (await client.get("/api/v1/staff/access-dashboard", headers=h)).status_code == 200
