"""Tickets end to end: membership, the state machine, routing, SLA, rating, notifications."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from aifhub.core.audit import AuditEvent
from aifhub.core.db import utcnow
from aifhub.core.mail import MailMessage
from aifhub.core.modules import TaskContext
from aifhub.support.models import Ticket, TicketMessage
from aifhub.support.tasks import warn_sla_breaches

from ..factories import api_user, make_project
from .helpers import desk_and_project, open_ticket


async def count(db, model) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)))


async def test_open_ticket_sets_sla_and_notifies_desk(client, db):
    s = await desk_and_project(client, db)
    t = await open_ticket(client, s["pi"])
    assert t["state"] == "new" and t["project"] == "mri"
    assert t["sla"]["first_response_due"] < t["sla"]["resolution_due"]
    assert not t["sla"]["first_response_breached"]
    assert t["allowed_transitions"] == ["closed"]
    mails = (await db.scalars(select(MailMessage))).all()
    assert [m.recipient for m in mails] == ["desk@factory.example"]
    assert "New high compute ticket" in mails[0].subject


async def test_ticket_on_foreign_project_is_refused_and_changes_nothing(client, db):
    s = await desk_and_project(client, db)
    stranger = await api_user(db, "stranger@else.example")
    body = {"project": "mri", "title": "Help me", "body": "x", "category": "data"}
    r = await client.post("/api/v1/tickets", json=body, headers=stranger)
    assert r.status_code == 404 and "mri" in r.json()["detail"]
    r = await client.post("/api/v1/tickets", json={**body, "category": "nope"}, headers=s["pi"])
    assert r.status_code == 422
    assert await count(db, Ticket) == 0 and await count(db, TicketMessage) == 0
    t = await open_ticket(client, s["pi"])
    assert (await client.get(f"/api/v1/tickets/{t['id']}", headers=stranger)).status_code == 404
    r = await client.post(
        f"/api/v1/tickets/{t['id']}/messages", data={"body": "hi"}, headers=stranger
    )
    assert r.status_code == 404
    assert await count(db, TicketMessage) == 1


async def test_routing_proposes_matching_expert_with_reasons(client, db):
    s = await desk_and_project(client, db)
    t = await open_ticket(client, s["pi"])
    r = await client.get(f"/api/v1/tickets/{t['id']}/proposals", headers=s["desk"])
    assert r.status_code == 200, r.text
    best = r.json()[0]
    assert best["expert_id"] == s["rocm"].id
    assert any("rocm" in reason for reason in best["reasons"])
    assert any(reason.startswith("load 0/3") for reason in best["reasons"])
    r = await client.get(f"/api/v1/tickets/{t['id']}/proposals", headers=s["pi"])
    assert r.status_code == 403


async def test_full_expert_is_not_proposed_and_cannot_be_assigned(client, db):
    s = await desk_and_project(client, db)
    t1 = await open_ticket(client, s["pi"], title="LLM fine-tuning with LoRA", category="models")
    t2 = await open_ticket(client, s["pi"], title="Another LoRA question", category="models")
    r = await client.post(
        f"/api/v1/tickets/{t1['id']}/assign", json={"expert_id": s["llm"].id}, headers=s["desk"]
    )
    assert r.status_code == 200 and r.json()["state"] == "assigned"
    props = (await client.get(f"/api/v1/tickets/{t2['id']}/proposals", headers=s["desk"])).json()
    assert s["llm"].id not in [p["expert_id"] for p in props]
    r = await client.post(
        f"/api/v1/tickets/{t2['id']}/assign", json={"expert_id": s["llm"].id}, headers=s["desk"]
    )
    assert r.status_code == 409 and "capacity 1" in r.json()["detail"]
    assert (await db.get(Ticket, t2["id"])).assignee_id is None
    r = await client.post(
        f"/api/v1/tickets/{t2['id']}/assign", json={"expert_id": s["llm"].id}, headers=s["pi"]
    )
    assert r.status_code == 403


async def test_state_machine_thread_rating_and_first_response(client, db):
    s = await desk_and_project(client, db)
    t = await open_ticket(client, s["pi"])
    tid = t["id"]
    r = await client.post(
        f"/api/v1/tickets/{tid}/transition", json={"to": "resolved"}, headers=s["desk"]
    )
    assert r.status_code == 409
    assert r.json()["allowed"] == ["assigned", "closed"]
    assert "can move to: assigned, closed" in r.json()["detail"]
    r = await client.post(
        f"/api/v1/tickets/{tid}/transition", json={"to": "assigned"}, headers=s["desk"]
    )
    assert r.status_code == 409 and "Assign an expert" in r.json()["detail"]
    r = await client.post(
        f"/api/v1/tickets/{tid}/assign", json={"expert_id": s["rocm"].id}, headers=s["desk"]
    )
    assert r.status_code == 200
    # the expert answers and asks a question
    r = await client.post(
        f"/api/v1/tickets/{tid}/messages", data={"body": "Which ROCm module?"}, headers=s["rocm_h"]
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v1/tickets/{tid}/transition", json={"to": "waiting_on_user"}, headers=s["rocm_h"]
    )
    assert r.json()["state"] == "waiting_on_user"
    assert r.json()["first_response_at"] is not None
    # rating before resolution is refused
    r = await client.post(f"/api/v1/tickets/{tid}/rating", json={"rating": 5}, headers=s["pi"])
    assert r.status_code == 409
    # the user answers: the ticket goes back to the expert
    await client.post(f"/api/v1/tickets/{tid}/messages", data={"body": "6.2"}, headers=s["pi"])
    assert (await db.get(Ticket, tid)).state == "assigned"
    # the requester cannot resolve; the expert can
    r = await client.post(
        f"/api/v1/tickets/{tid}/transition", json={"to": "resolved"}, headers=s["pi"]
    )
    assert r.status_code == 403 and "closed" in r.json()["detail"]
    r = await client.post(
        f"/api/v1/tickets/{tid}/transition", json={"to": "resolved"}, headers=s["rocm_h"]
    )
    assert r.json()["state"] == "resolved"
    r = await client.post(f"/api/v1/tickets/{tid}/rating", json={"rating": 6}, headers=s["pi"])
    assert r.status_code == 422
    r = await client.post(f"/api/v1/tickets/{tid}/rating", json={"rating": 4}, headers=s["pi"])
    assert r.json()["rating"] == 4
    r = await client.post(
        f"/api/v1/tickets/{tid}/transition", json={"to": "closed"}, headers=s["pi"]
    )
    assert r.json()["state"] == "closed" and r.json()["allowed_transitions"] == []
    r = await client.post(f"/api/v1/tickets/{tid}/messages", data={"body": "x"}, headers=s["pi"])
    assert r.status_code == 409
    detail = (await client.get(f"/api/v1/tickets/{tid}", headers=s["pi"])).json()
    assert [m["body"] for m in detail["messages"]][-2:] == ["Which ROCm module?", "6.2"]
    kinds = set(await db.scalars(select(MailMessage.kind)))
    assert {"support.ticket_assigned", "support.ticket_message", "support.ticket_resolved"} <= kinds
    actions = set(await db.scalars(select(AuditEvent.action)))
    assert {"ticket.open", "ticket.assign", "ticket.transition", "ticket.rate"} <= actions


async def test_lists_are_scoped_and_breaches_warned_once(client, db, app):
    s = await desk_and_project(client, db)
    other = await api_user(db, "other@lab.example")
    from ..factories import make_org

    await make_org(client, other, "lab")
    await make_project(client, other, "lab-proj", "lab")
    t = await open_ticket(client, s["pi"])
    await open_ticket(client, other, project="lab-proj")
    assert (await client.get("/api/v1/tickets", headers=s["pi"])).json()["total"] == 1
    assert (await client.get("/api/v1/tickets", headers=s["desk"])).json()["total"] == 2
    assert (await client.get("/api/v1/tickets", headers=s["rocm_h"])).json()["total"] == 0
    await db.execute(
        update(Ticket)
        .where(Ticket.id == t["id"])
        .values(first_response_due=utcnow() - timedelta(hours=1))
    )
    await db.commit()
    r = (await client.get(f"/api/v1/tickets/{t['id']}", headers=s["pi"])).json()
    assert r["sla"]["first_response_breached"] is True
    maker = app.state.sessionmaker
    assert await warn_sla_breaches(TaskContext(maker, app.state.infra)) == 1
    assert await warn_sla_breaches(TaskContext(maker, app.state.infra)) == 0
    n = await db.scalar(select(func.count()).where(MailMessage.kind == "support.sla_breach"))
    assert n == 1
