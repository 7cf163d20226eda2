"""The rule of actions: what is offered is accepted, what is not offered is refused, for every
mode and state; who acts next; automatic decisions (on and off) and the allocation they make."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select

from aifhub.access import applications, decisions, progress, reviews, workflow
from aifhub.access.models import AccessMode, Allocation, Application, Review
from aifhub.access.modes import parse_modes, spec_of, sync_modes
from aifhub.access.progress import Progress, next_step
from aifhub.app import create_app
from aifhub.core.audit import AuditEvent
from aifhub.core.errors import AppError
from aifhub.identity.models import User
from aifhub.identity.service import get_user_by_email
from aifhub.schemas.access import ApplicationCreate
from aifhub.schemas.enums.access import ApplicationState as S

from ..factories import make_org, make_project, make_user, token_for
from ..web.helpers import HTML, login
from .helpers import SCORES, body, create, partitions, post, world

# A mode without review steps (decided from `checked`), beside the four built-in ones.
NO_REVIEW = {
    "slug": "no-review",
    "name": "No review",
    "org_kinds": ["startup"],
    "countries": ["FR"],
    "durations_months": [3],
    "deadline_working_days": 2,
    "review_steps": [],
}


async def _call(db, action: str, app_id: int, users: dict) -> None:
    """Do one action through its service, as the PI or a staff admin."""
    pi, admin = await db.get(User, users["pi"]), await db.get(User, users["admin"])
    if action in ("submit", "resubmit"):
        await applications.submit_application(db, pi, app_id)
    elif action == "withdraw":
        await applications.withdraw_application(db, pi, app_id)
    elif action == "start_assessment":
        await decisions.start_assessment(db, admin, app_id)
    elif action in progress.ASSIGN_ACTIONS:
        step = progress.ASSIGN_ACTIONS[action]
        await reviews.assign_reviewer(
            db, admin, app_id, reviewer_email="rev2-a@factory.eu", step=step
        )
    elif action == "send_to_peer_review":
        await decisions.send_to_peer_review(db, admin, app_id)
    elif action == "request_changes":
        await decisions.request_changes(db, admin, app_id, reason="Say more.")
    elif action in ("accept", "reject"):
        await decisions.decide_application(
            db, admin, app_id, outcome=action, reason="Decided.", granted={}
        )
    elif action == "allocate":
        await decisions.allocate_accepted(db, admin, app_id)
    else:
        raise AssertionError(f"no service for {action}")


async def _accepted(db, action: str, app_id: int, users: dict) -> AppError | None:
    """Run an action in a savepoint rolled back afterwards: None when accepted, else the error."""
    savepoint = await db.begin_nested()
    try:
        await _call(db, action, app_id, users)
    except AppError as exc:
        return exc
    finally:
        await savepoint.rollback()
        db.expire_all()
    return None


def _state_allows(state: str, action: str) -> bool:
    if action in progress.ASSIGN_ACTIONS:
        return state in progress.ASSIGN_IN[progress.ASSIGN_ACTIONS[action]]
    return action in workflow.TRANSITIONS[state]


async def _set(db, app_id: int, state: str, submitted: dict[str, int], reviewer_ids: list[int]):
    """Put an application in a state with this many submitted reviews per step."""
    await db.execute(delete(Review).where(Review.application_id == app_id))
    app = await db.get(Application, app_id)
    app.state = state
    for step, n in submitted.items():
        for rid in reviewer_ids[:n]:
            db.add(
                Review(
                    application_id=app_id,
                    reviewer_id=rid,
                    step=step,
                    state="submitted",
                    scores=SCORES,
                    comment="ok",
                )
            )
    await db.commit()
    db.expire_all()


async def test_offered_actions_are_accepted_and_others_refused_for_every_mode_and_state(client, db):
    w = await world(client, db)
    await sync_modes(db, [*parse_modes(None), *parse_modes([NO_REVIEW])])
    await db.commit()
    users = {
        "pi": (await get_user_by_email(db, "pi-a@a.example")).id,
        "admin": (await get_user_by_email(db, "admin-a@factory.eu")).id,
    }

    async def pi() -> User:
        return await db.get(User, users["pi"])

    reviewer_ids = [(await get_user_by_email(db, f"rev{i}-a@factory.eu")).id for i in range(2)]
    modes = {
        m.slug: spec_of(m) for m in await db.scalars(select(AccessMode).where(AccessMode.enabled))
    }
    assert set(modes) == {"playground", "fast-lane", "large-scale", "national-dynamic", "no-review"}
    checked = 0
    for slug, spec in modes.items():
        # Through the service: the API would sync the modes back to the built-in ones.
        data = ApplicationCreate.model_validate(body(w, slug))
        app_id = (await applications.create_application(db, await pi(), data=data)).id
        await db.commit()
        for state in S:
            # Each review step's count: none, and as many as the mode needs.
            variants = [{}]
            if state in (S.TECHNICAL_ASSESSMENT, S.PEER_REVIEW) and spec.review_steps:
                variants.append({s.step: s.min_reviews for s in spec.review_steps})
            for submitted in variants:
                await _set(db, app_id, state.value, submitted, reviewer_ids)
                offered = progress.offered(Progress(state.value, spec, submitted))
                for action in progress.ACTIONS:
                    if action not in offered and not _state_allows(state.value, action):
                        continue  # refused by the state machine alone (tested in test_workflow)
                    error = await _accepted(db, action, app_id, users)
                    where = f"{slug} in {state.value} with {submitted}: {action}"
                    # One service submits or resubmits, as the state says.
                    same = {"submit", "resubmit"} if action in ("submit", "resubmit") else {action}
                    if same & set(offered):
                        assert error is None, f"{where} offered but refused: {error}"
                    else:
                        assert error is not None and error.status == 409, f"{where} not offered"
                    checked += 1
    assert checked > 100


def test_fast_lane_never_offers_peer_review():
    fast = next(s for s in parse_modes(None) if s.slug == "fast-lane")
    for state in S:
        for n in (0, 1, 5):
            offered = progress.offered(Progress(state.value, fast, {"technical": n}))
            assert "send_to_peer_review" not in offered and "assign_peer" not in offered
    assert progress.offered(Progress("checked", fast)) == [
        "start_assessment",
        "assign_technical",
        "withdraw",
    ]
    ready = Progress("technical_assessment", fast, {"technical": 1})
    assert progress.offered(ready) == [
        "assign_technical",
        "accept",
        "reject",
        "request_changes",
    ]


def test_next_step_names_who_acts_and_what():
    specs = {s.slug: s for s in parse_modes(None)}
    fast, large, national = specs["fast-lane"], specs["large-scale"], specs["national-dynamic"]
    assert next_step(Progress("draft", fast)).actor == "applicant"
    assert next_step(Progress("changes_requested", fast)).what == "revise"
    step = next_step(Progress("checked", fast))
    assert (step.actor, step.what, step.action) == ("staff", "start_assessment", "start_assessment")
    step = next_step(Progress("technical_assessment", fast))
    assert (step.actor, step.what, step.have, step.need) == ("reviewers", "technical_review", 0, 1)
    step = next_step(Progress("technical_assessment", fast, {"technical": 1}))
    assert (step.actor, step.what, step.action) == ("staff", "decide", "accept")
    step = next_step(Progress("technical_assessment", large, {"technical": 1}))
    assert (step.what, step.action) == ("send_to_peer_review", "send_to_peer_review")
    step = next_step(Progress("peer_review", large, {"peer": 1}))
    assert (step.what, step.have, step.need) == ("peer_review", 1, 2)
    step = next_step(Progress("technical_assessment", national, {"technical": 1}))
    assert (step.actor, step.what) == ("director", "decide")
    assert next_step(Progress("allocated", fast)).what == "compute"
    assert next_step(Progress("rejected", fast)) is None
    # Every main button a next step names is one the rule accepts at that point.
    for spec in specs.values():
        for state in S:
            for n in (0, 1, 2):
                p = Progress(state.value, spec, {"technical": n, "peer": n})
                step = next_step(p)
                if step is not None and step.action is not None:
                    assert step.action in progress.offered(p), (spec.slug, state, n)


SITE = """
[[access_modes]]
slug = "try"
name = "Try"
org_kinds = ["startup", "sme"]
countries = ["eu"]
max_hours = { gpu_hours = 100 }
durations_months = [1]
deadline_working_days = 2
review_steps = [{ step = "technical", min_reviews = 1 }]
auto_decide = {auto}
"""


@pytest.fixture(params=["true", "false"], ids=["auto", "manual"])
async def auto_client(request, settings, tmp_path: Path, db) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose site file declares one mode, decided automatically or not."""
    path = tmp_path / "site.toml"
    path.write_text(SITE.replace("{auto}", request.param))
    app = create_app(settings.model_copy(update={"site_file": path}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            c.auto = request.param == "true"  # type: ignore[attr-defined]
            yield c


async def test_auto_decide_grants_at_once_only_when_the_site_says_so(auto_client, db):
    client = auto_client
    w = await world(client, db)
    items = [{"partition": "jz/v100", "amount": "50"}]
    a = await create(client, w, "try", duration_months=1, items=items)
    done = await post(client, f"/api/v1/applications/{a['id']}/submit", w.pi)
    jobs_body = {
        "project": w.project,
        "partition": "jz/v100",
        "name": "first-run",
        "script": "echo hello",
        "time_limit": "10m",
        "gpus": 1,
    }
    job = await client.post("/api/v1/jobs", json=jobs_body, headers=w.pi)
    if not client.auto:  # type: ignore[attr-defined]
        # Off: it waits for staff, who act next; nothing is allocated, no job runs.
        assert done["state"] == "checked" and done["decided_automatically"] is False
        assert done["next_step"]["actor"] == "staff"
        assert done["next_step"]["action"] == "start_assessment"
        assert done["allowed_actions"] == ["start_assessment", "assign_technical", "withdraw"]
        assert await db.scalar(select(Allocation.id)) is None
        assert job.status_code == 402, job.text
        return
    assert done["state"] == "allocated" and done["decided_automatically"] is True
    assert done["next_step"] == {
        "actor": "applicant",
        "what": "compute",
        "reviews_submitted": 0,
        "reviews_needed": 0,
        "due_date": None,
        "action": None,
    }
    alloc = await db.scalar(select(Allocation).where(Allocation.application_id == a["id"]))
    assert alloc.state == "active" and alloc.amount == 50
    # The allocation pays for a job at once, as after a staff decision.
    assert job.status_code in (200, 201, 202), job.text
    events = {
        e.action: e
        for e in await db.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "application", AuditEvent.object_id == str(a["id"])
            )
        )
    }
    # Submitted by the applicant, decided and allocated by the platform, with its reason.
    assert events["application.submit"].actor_label == "pi-a@a.example"
    for action in ("application.accept", "application.allocate"):
        assert events[action].actor_id is None
        assert events[action].actor_label == "platform (automatic decision)"
    assert "eligibility checks passed" in events["application.accept"].details["reason"]


async def test_the_page_says_granted_at_once_only_when_decided_at_once(auto_client, db):
    client = auto_client
    await partitions(db)
    pi = await make_user(db, "zoe@auto.example")
    h = await token_for(db, pi)
    await make_org(client, h, "auto-org", kind="sme", country="DE")
    await make_project(client, h, "auto-proj", "auto-org")
    csrf = await login(client, "zoe@auto.example")
    form = {
        "csrf_token": csrf,
        "project": "auto-proj",
        "mode": "try",
        "title": "Premiers pas",
        "sector": "energy",
        "duration_months": "1",
        "partition_1": "jz/v100",
        "amount_1": "40",
    }
    url = (await client.post("/applications/new", data=form, headers=HTML)).headers["location"]
    r = await client.post(f"{url}/submit", data={"csrf_token": csrf}, headers=HTML)
    page = await client.get(r.headers["location"], headers=HTML)
    if client.auto:  # type: ignore[attr-defined]
        assert "Submitted and granted at once: you can compute now." in page.text
        assert 'id="decided-by"' in page.text and "Decided on" in page.text
        assert "Decision due by" not in page.text
    else:
        assert "Submitted: eligibility checked." in page.text
        assert 'id="decided-by"' not in page.text and "Decision due by" in page.text
