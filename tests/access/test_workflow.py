"""The state machine: every transition, allowed and refused, in the table and through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from aifhub.access import workflow
from aifhub.access.errors import IllegalTransition
from aifhub.access.models import Allocation, Application
from aifhub.app import create_app

from .helpers import SCORES, create, post, review_step, world

ACTIONS = sorted({a for targets in workflow.TRANSITIONS.values() for a in targets})
EXPECTED = {
    ("draft", "submit"): "submitted",
    ("draft", "withdraw"): "withdrawn",
    ("submitted", "check"): "checked",
    ("submitted", "withdraw"): "withdrawn",
    ("checked", "start_assessment"): "technical_assessment",
    ("checked", "accept"): "accepted",
    ("checked", "reject"): "rejected",
    ("checked", "withdraw"): "withdrawn",
    ("technical_assessment", "send_to_peer_review"): "peer_review",
    ("technical_assessment", "request_changes"): "changes_requested",
    ("technical_assessment", "accept"): "accepted",
    ("technical_assessment", "reject"): "rejected",
    ("peer_review", "request_changes"): "changes_requested",
    ("peer_review", "accept"): "accepted",
    ("peer_review", "reject"): "rejected",
    ("changes_requested", "resubmit"): "submitted",
    ("changes_requested", "withdraw"): "withdrawn",
    ("accepted", "allocate"): "allocated",
}


@pytest.mark.parametrize("state", workflow.ALL_STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_transition_of_the_table(state, action):
    if (state, action) in EXPECTED:
        assert workflow.target_of(state, action) == EXPECTED[(state, action)]
    else:
        with pytest.raises(IllegalTransition) as err:
            workflow.target_of(state, action)
        assert err.value.status == 409
        assert err.value.extra["allowed"] == workflow.allowed_actions(state)
        assert f"'{state}' cannot '{action}'" in err.value.detail


def test_final_states_say_so():
    for state in ("rejected", "allocated", "withdrawn"):
        with pytest.raises(IllegalTransition, match="none \\(final state\\)"):
            workflow.target_of(state, "submit")


async def _state(db, app_id: int) -> str:
    db.expire_all()
    return await db.scalar(select(Application.state).where(Application.id == app_id))


async def test_fast_lane_path_with_changes_requested(client, db):
    w = await world(client, db)
    a = await create(client, w)
    url = f"/api/v1/applications/{a['id']}"
    assert (await post(client, f"{url}/submit", w.pi))["state"] == "checked"
    # Deciding before the assessment: the required reviews are missing.
    r = await client.post(
        f"{url}/decision", json={"outcome": "accept", "reason": "ok ok"}, headers=w.admin
    )
    assert r.status_code == 409 and "start the assessment" in r.json()["detail"]
    assert (await post(client, f"{url}/start-assessment", w.admin))[
        "state"
    ] == "technical_assessment"
    # Fast Lane has no peer review.
    r = await client.post(f"{url}/peer-review", headers=w.admin)
    assert r.status_code == 409 and "no peer review" in r.json()["detail"]
    r = await client.post(
        f"{url}/decision", json={"outcome": "accept", "reason": "ok ok"}, headers=w.admin
    )
    assert r.status_code == 409 and r.json()["needed"] == 1 and r.json()["submitted"] == 0
    changed = await post(client, f"{url}/request-changes", w.admin, {"reason": "Explain the data."})
    assert (
        changed["state"] == "changes_requested" and changed["state_reason"] == "Explain the data."
    )
    # The applicant cannot be a staff action; staff cannot resubmit for the applicant.
    r = await client.post(f"{url}/start-assessment", headers=w.pi)
    assert r.status_code == 403
    r = await client.patch(url, json={"datasets_models": "hf:some/dataset"}, headers=w.pi)
    assert r.status_code == 200 and r.json()["revision"] == 1
    assert (await post(client, f"{url}/submit", w.pi))["state"] == "checked"
    await post(client, f"{url}/start-assessment", w.admin)
    await review_step(client, w, a["id"], "technical", 1)
    done = await post(
        client,
        f"{url}/decision",
        w.admin,
        {"outcome": "accept", "reason": "Good", "granted": {"jz/a100": "800"}},
    )
    assert done["state"] == "allocated" and done["items"][0]["granted"] == "800.0000"
    alloc = await db.scalar(select(Allocation).where(Allocation.application_id == a["id"]))
    assert alloc.amount == 800 and alloc.state == "active"
    # Final: nothing more.
    r = await client.post(f"{url}/withdraw", headers=w.pi)
    assert r.status_code == 409 and r.json()["allowed"] == []


async def test_large_scale_path_peer_review_and_rejection(client, db):
    w = await world(client, db)
    a = await create(client, w, "large-scale")
    url = f"/api/v1/applications/{a['id']}"
    await post(client, f"{url}/submit", w.pi)
    await post(client, f"{url}/start-assessment", w.admin)
    r = await client.post(f"{url}/peer-review", headers=w.admin)
    assert r.status_code == 409 and "technical review" in r.json()["detail"]
    await review_step(client, w, a["id"], "technical", 1)
    r = await client.post(
        f"{url}/decision", json={"outcome": "reject", "reason": "no no"}, headers=w.admin
    )
    assert r.status_code == 409 and "peer review" in r.json()["detail"]
    assert (await post(client, f"{url}/peer-review", w.admin))["state"] == "peer_review"
    await review_step(client, w, a["id"], "peer", 1)
    r = await client.post(
        f"{url}/decision", json={"outcome": "reject", "reason": "no no"}, headers=w.admin
    )
    assert r.status_code == 409 and r.json()["needed"] == 2 and r.json()["submitted"] == 1
    rv = await post(
        client, f"{url}/reviews", w.admin, {"reviewer": "rev1-a@factory.eu", "step": "peer"}, 201
    )
    await post(
        client,
        f"/api/v1/reviews/{rv['id']}/submit",
        w.reviewers[1],
        {"scores": SCORES, "comment": "Weak."},
    )
    done = await post(
        client, f"{url}/decision", w.admin, {"outcome": "reject", "reason": "Not ready"}
    )
    assert done["state"] == "rejected" and done["state_reason"] == "Not ready"
    assert await db.scalar(select(func.count()).select_from(Allocation)) == 0


async def test_peer_review_can_request_changes(client, db):
    w = await world(client, db)
    a = await create(client, w, "large-scale")
    url = f"/api/v1/applications/{a['id']}"
    await post(client, f"{url}/submit", w.pi)
    await post(client, f"{url}/start-assessment", w.admin)
    await review_step(client, w, a["id"], "technical", 1)
    await post(client, f"{url}/peer-review", w.admin)
    assert (await post(client, f"{url}/request-changes", w.admin, {"reason": "Add a plan."}))[
        "state"
    ] == "changes_requested"
    assert (await post(client, f"{url}/withdraw", w.pi))["state"] == "withdrawn"


async def test_accept_without_allocating_then_allocate(client, db):
    w = await world(client, db)
    a = await create(client, w)
    url = f"/api/v1/applications/{a['id']}"
    await post(client, f"{url}/submit", w.pi)
    await post(client, f"{url}/start-assessment", w.admin)
    await review_step(client, w, a["id"], "technical", 1)
    body = {"outcome": "accept", "reason": "Good", "allocate": False}
    assert (await post(client, f"{url}/decision", w.admin, body))["state"] == "accepted"
    assert await db.scalar(select(func.count()).select_from(Allocation)) == 0
    assert (await post(client, f"{url}/allocate", w.admin))["state"] == "allocated"
    assert await db.scalar(select(func.count()).select_from(Allocation)) == 1
    r = await client.post(f"{url}/allocate", headers=w.admin)
    assert r.status_code == 409


async def test_withdraw_from_draft_and_checked(client, db):
    w = await world(client, db)
    a = await create(client, w)
    assert (await post(client, f"/api/v1/applications/{a['id']}/withdraw", w.pi))[
        "state"
    ] == "withdrawn"
    b = await create(client, w)
    await post(client, f"/api/v1/applications/{b['id']}/submit", w.pi)
    assert (await post(client, f"/api/v1/applications/{b['id']}/withdraw", w.pi))[
        "state"
    ] == "withdrawn"
    r = await client.post(f"/api/v1/applications/{b['id']}/submit", headers=w.pi)
    assert r.status_code == 409


SITE = """
[[access_modes]]
slug = "try"
name = "Try"
org_kinds = ["startup", "sme"]
countries = ["eu"]
max_hours = { gpu_hours = 100 }
durations_months = [1]
deadline_working_days = 2
review_steps = []
auto_decide = {auto}

[[access_modes]]
slug = "manual"
name = "Manual"
org_kinds = ["startup"]
countries = ["FR"]
durations_months = [1]
deadline_working_days = 1
"""


@pytest.fixture
async def site_client(settings, tmp_path: Path, db) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose site file declares its own modes (no reviews)."""
    path = tmp_path / "site.toml"
    path.write_text(SITE.replace("{auto}", "true"))
    app = create_app(settings.model_copy(update={"site_file": path}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_site_modes_auto_decide_and_decide_from_checked(site_client, db):
    client = site_client
    w = await world(client, db)
    modes = [m["slug"] for m in (await client.get("/api/v1/access-modes", headers=w.pi)).json()]
    assert modes == ["try", "manual"]
    items = [{"partition": "jz/v100", "amount": "50"}]
    a = await create(client, w, "try", duration_months=1, items=items)
    auto = await post(client, f"/api/v1/applications/{a['id']}/submit", w.pi)
    assert auto["state"] == "allocated" and auto["decided_at"]
    b = await create(client, w, "manual", duration_months=1, items=items)
    await post(client, f"/api/v1/applications/{b['id']}/submit", w.pi)
    rejected = await post(
        client,
        f"/api/v1/applications/{b['id']}/decision",
        w.admin,
        {"outcome": "reject", "reason": "Full"},
    )
    assert rejected["state"] == "rejected"
    c = await create(client, w, "manual", duration_months=1, items=items)
    await post(client, f"/api/v1/applications/{c['id']}/submit", w.pi)
    accepted = await post(
        client,
        f"/api/v1/applications/{c['id']}/decision",
        w.admin,
        {"outcome": "accept", "reason": "Fine"},
    )
    assert accepted["state"] == "allocated"
    r = await client.post("/api/v1/applications", json={"mode": "fast-lane"}, headers=w.pi)
    assert r.status_code == 422
