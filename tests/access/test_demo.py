"""The demo data: applications in various states and active allocations."""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.access.models import Allocation, Application
from aifhub.demo import load_demo


async def test_demo_has_applications_in_each_typical_state(settings, db):
    assert await load_demo(settings) is True
    states = dict(
        (
            await db.execute(select(Application.state, func.count()).group_by(Application.state))
        ).all()
    )
    assert states == {
        "allocated": 2,
        "peer_review": 1,
        "draft": 1,
        "checked": 1,
        "changes_requested": 1,
    }
    active = await db.scalar(select(func.count()).where(Allocation.state == "active"))
    assert active == 2
    assert await load_demo(settings) is False
