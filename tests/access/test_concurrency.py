"""Two submissions of one application at once: one wins, the other is refused (PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from aifhub.access.applications import submit_application
from aifhub.access.errors import IllegalTransition
from aifhub.core.audit import AuditEvent
from aifhub.core.db import make_sessionmaker
from aifhub.identity.models import User

from .helpers import create, world


async def test_concurrent_submissions_serialise(client, db, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises whole transactions")
    w = await world(client, db)
    app = await create(client, w)
    maker = make_sessionmaker(engine)

    async def submit() -> str:
        async with maker() as s:
            pi = await s.scalar(select(User).where(User.email == "pi-a@a.example"))
            try:
                await submit_application(s, pi, app["id"])
                await asyncio.sleep(0.2)  # hold the lock while the other one waits
                await s.commit()
                return "ok"
            except IllegalTransition:
                await s.rollback()
                return "refused"

    results = sorted(await asyncio.gather(submit(), submit()))
    assert results == ["ok", "refused"]
    n = await db.scalar(select(func.count()).where(AuditEvent.action == "application.submit"))
    assert n == 1
