"""The demo data: applications in various states and active allocations."""

from __future__ import annotations

from sqlalchemy import func, select

from aifhub.access.models import AccessMode, Allocation, Application
from aifhub.core.audit import AuditEvent
from aifhub.demo import load_demo


async def test_demo_has_applications_in_each_typical_state(settings, db):
    assert await load_demo(settings) is True
    states = dict(
        (
            await db.execute(select(Application.state, func.count()).group_by(Application.state))
        ).all()
    )
    assert states == {
        "allocated": 3,  # Playground's decided automatically in the demo
        "peer_review": 1,
        "draft": 1,
        "checked": 1,
        "changes_requested": 1,
    }
    active = await db.scalar(select(func.count()).where(Allocation.state == "active"))
    assert active == 3
    playground = await db.scalar(
        select(Application).join(AccessMode).where(AccessMode.slug == "playground")
    )
    assert playground.state == "allocated" and playground.decided_by_id is None
    event = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "application.accept",
            AuditEvent.object_id == str(playground.id),
        )
    )
    assert event.actor_id is None and event.actor_label == "platform (automatic decision)"
    assert "eligibility checks passed" in event.details["reason"]
    assert await load_demo(settings) is False
