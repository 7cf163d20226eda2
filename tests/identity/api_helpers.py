"""Helpers of the identity API tests: problem assertions and whole-database snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.audit import AuditEvent
from aifhub.identity.models import (
    ApiToken,
    Invitation,
    Organisation,
    OrgMembership,
    Project,
    ProjectMember,
    StaffRoleGrant,
    User,
    WebSession,
)

from ..factories import api_user, join_org, make_org, make_project, make_user, token_for

# What "nothing changed" compares; login attempts and token last-use stamps are bookkeeping.
SNAPSHOT_TABLES = [
    User.__table__,
    StaffRoleGrant.__table__,
    Organisation.__table__,
    OrgMembership.__table__,
    Invitation.__table__,
    Project.__table__,
    ProjectMember.__table__,
    ApiToken.__table__,
    WebSession.__table__,
    AuditEvent.__table__,
]
IGNORED_COLUMNS = {("api_tokens", "last_used_at")}


async def snapshot(db: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the identity tables and the audit log (read in a fresh transaction)."""
    await db.commit()  # a new transaction: SQLite would otherwise keep showing an old snapshot
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in SNAPSHOT_TABLES:
        cols = [c for c in table.columns if (table.name, c.name) not in IGNORED_COLUMNS]
        rows = await db.execute(select(*cols).order_by(table.c.id))
        out[table.name] = [tuple(r) for r in rows.all()]
    await db.commit()
    return out


def assert_problem(r: httpx.Response, status: int, *needles: str) -> dict[str, Any]:
    """The response is a problem+json of this status whose detail contains each needle."""
    assert r.status_code == status, f"{r.status_code} {r.text}"
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    for needle in needles:
        assert needle.lower() in body["detail"].lower(), body["detail"]
    return body


async def audit_count(db: AsyncSession) -> int:
    """How many audit rows there are now."""
    await db.commit()
    rows = await db.scalars(select(AuditEvent.id))
    n = len(list(rows))
    await db.commit()
    return n


@dataclass
class World:
    """Two tenants: Ada's lab (Ada owner and PI, Bob plain member) and Eve's company."""

    ada: dict[str, str]
    bob: dict[str, str]
    eve: dict[str, str]
    ada_id: int
    bob_id: int
    eve_id: int
    ada_token_id: int


async def make_world(client: httpx.AsyncClient, db: AsyncSession) -> World:
    """Ada owns org 'ada-lab' with projects 'ada-proj' (Bob member) and 'ada-private'."""
    ada_user = await make_user(db, "ada@example.eu")
    bob_user = await make_user(db, "bob@example.eu")
    eve_user = await make_user(db, "eve@example.eu")
    ada = await token_for(db, ada_user)
    bob = await token_for(db, bob_user)
    eve = await token_for(db, eve_user)
    await make_org(client, ada, "ada-lab")
    await make_project(client, ada, "ada-proj", "ada-lab")
    await make_project(client, ada, "ada-private", "ada-lab")
    await join_org(client, ada, "ada-lab", "bob@example.eu", bob)
    r = await client.post(
        "/api/v1/projects/ada-proj/members", json={"email": "bob@example.eu"}, headers=ada
    )
    assert r.status_code == 201, r.text
    await make_org(client, eve, "eve-corp")
    await make_project(client, eve, "eve-proj", "eve-corp")
    ada_token_id = (await client.get("/api/v1/tokens", headers=ada)).json()[0]["id"]
    return World(ada, bob, eve, ada_user.id, bob_user.id, eve_user.id, ada_token_id)


__all__ = ["World", "api_user", "assert_problem", "audit_count", "make_world", "snapshot"]
