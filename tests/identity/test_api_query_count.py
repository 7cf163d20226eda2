"""Listing endpoints run a constant number of SQL statements, whatever the list's length."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from aifhub.identity.models import Organisation, OrgMembership, Project, ProjectMember

from ..factories import make_user, token_for


@contextmanager
def counting(app) -> Iterator[list[str]]:
    """Collect every SQL statement the app runs inside the block."""
    statements: list[str] = []

    def _count(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


async def _seed(db, user, *, orgs: int, projects: int, tag: str) -> None:
    """`orgs` organisations owned by user, `projects` projects spread over them (user PI)."""
    org_rows = [
        Organisation(slug=f"{tag}-org-{i}", name=f"Org {i}", kind="sme", country="FR", sectors=[])
        for i in range(orgs)
    ]
    db.add_all(org_rows)
    await db.flush()
    db.add_all(OrgMembership(org_id=o.id, user_id=user.id, role="owner") for o in org_rows)
    proj_rows = [
        Project(slug=f"{tag}-p-{i}", name=f"P{i}", org_id=org_rows[i % orgs].id, sector="health")
        for i in range(projects)
    ]
    db.add_all(proj_rows)
    await db.flush()
    db.add_all(ProjectMember(project_id=p.id, user_id=user.id, role="pi") for p in proj_rows)
    await db.commit()


async def _statements(client, app, path: str, headers: dict[str, str], expect: int) -> list[str]:
    r = await client.get(path, headers=headers)  # warm: the first use stamps the token
    assert r.status_code == 200
    with counting(app) as statements:
        r = await client.get(path, headers=headers)
    assert r.status_code == 200 and len(r.json()["items"]) == expect, r.text
    return statements


@pytest.mark.parametrize("staff", [False, True], ids=["member", "staff"])
async def test_list_projects_and_orgs_query_count_is_constant(client, db, app, staff):
    small = await make_user(db, "small@example.eu", staff=("support",) if staff else ())
    large = await make_user(db, "large@example.eu", staff=("support",) if staff else ())
    await _seed(db, small, orgs=5, projects=5, tag="s")
    await _seed(db, large, orgs=200, projects=200, tag="l")
    hs, hl = await token_for(db, small), await token_for(db, large)
    # Staff see everything: both see 205 rows, members see their own.
    n_small, n_large = (205, 205) if staff else (5, 200)

    for path in ("/api/v1/projects?limit=500", "/api/v1/organisations?limit=500"):
        few = await _statements(client, app, path, hs, n_small)
        many = await _statements(client, app, path, hl, n_large)
        assert len(few) == len(many), (path, few, many)
        # token + user, staff roles, count, page: nothing per row.
        assert len(many) <= 5, many
