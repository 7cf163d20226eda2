"""The SDK's tickets, experts, kb, courses, partners, offers and recommend resources over real
HTTP (uvicorn in a thread on the test database, so on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from aifhub.app import create_app
from aifhub.client import ApiError, Client, ClientError

from ..ecosystem.test_partners_talent import PITCH
from ..ecosystem.test_partners_talent import setup as partners_setup
from ..ecosystem.test_training import course_with_session
from ..factories import api_user
from ..smtp_server import free_port
from ..support.helpers import desk_and_project


@pytest.fixture(scope="module")
def live_url(settings) -> Iterator[str]:
    """A uvicorn server on a free port serving the app on the test database."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def sdk(url: str, headers: dict[str, str]) -> Client:
    return Client(url, headers["Authorization"].split()[1])


def _tickets_journey(url: str, w: dict, tmp: Path) -> None:
    with sdk(url, w["pi"]) as pi, sdk(url, w["desk"]) as desk:
        t = pi.tickets.open(
            project="mri",
            title="ROCm port of our U-Net",
            body="hipify leaves CUDA calls in the HIP build on MI250X nodes.",
            category="compute",
            priority="high",
        )
        assert (t.project, t.state, t.priority) == ("mri", "new", "high")
        assert t.sla.first_response_due > t.created_at
        page = pi.tickets.list(limit=1)
        assert page.total == 1 and page.items[0].id == t.id
        assert [x.id for x in pi.tickets.iter(state="new", project="mri")] == [t.id]
        assert list(pi.tickets.iter(state="closed")) == []
        log = tmp / "build.log"
        log.write_text("error: undefined cudaMalloc\n")
        m = pi.tickets.post_message(t.id, "Build log attached", attachments=[log])
        assert [a.filename for a in m.attachments] == ["build.log"]
        with pytest.raises(ClientError, match="No file"):
            pi.tickets.post_message(t.id, "x", attachments=[tmp / "missing.txt"])
        detail = pi.tickets.get(t.id)
        assert [x.body for x in detail.messages][-1] == "Build log attached"

        with pytest.raises(ApiError) as err:
            pi.tickets.transition(t.id, "resolved")
        assert err.value.status in (403, 409)
        props = desk.tickets.proposals(t.id)
        assert props[0].name == "Rita Rocm" and props[0].reasons
        with pytest.raises(ClientError, match="not in the experts' directory"):
            desk.tickets.assign(t.id, "nobody@example.eu")
        assigned = desk.tickets.assign(t.id, "ROCM@factory.example")
        assert assigned.state == "assigned" and assigned.assignee_id == w["rocm"].id
        assert desk.tickets.transition(t.id, "resolved").state == "resolved"
        rated = pi.tickets.rate(t.id, 5, "fixed in a day")
        assert rated.rating == 5
        with pytest.raises(ApiError) as err:
            pi.tickets.rate(t.id, 9)
        assert err.value.status == 422

        assert {e.email for e in pi.experts.list(skill="rocm-porting")} == {"rocm@factory.example"}
        assert pi.kb.search("rocm") == []  # no article mentions it
        with pytest.raises(ApiError) as err:
            pi.kb.get("nope")
        assert err.value.status == 404


async def test_sdk_tickets_experts_kb(client, db, live_url, tmp_path):
    w = await desk_and_project(client, db)
    for slug, title, text in (
        ("hip-build", "Building with HIP", "Run hipify-perl on the CUDA sources, then make."),
        ("quotas", "Disk quotas", "Check your quota on the scratch file system."),
    ):
        r = await client.post(
            "/api/v1/kb/articles",
            json={"slug": slug, "title": title, "body": text},
            headers=w["desk"],
        )
        assert r.status_code == 201, r.text
    await asyncio.to_thread(_tickets_journey, live_url, w, tmp_path)
    hits = await asyncio.to_thread(lambda: sdk(live_url, w["pi"]).kb.search("HIP build"))
    assert [h.slug for h in hits] == ["hip-build"]


def _courses_journey(url: str, staff: dict, people: list[dict], sid: int) -> None:
    clients = [sdk(url, h) for h in people]
    a, b, c = clients
    listed = a.courses.list(q="gpu")
    assert [x.slug for x in listed] == ["gpu-101"] and listed[0].sessions[0].id == sid
    assert a.courses.list(q="nothing-like-this") == []
    e1, e2, e3 = (x.courses.enrol(sid) for x in clients)
    assert (e1.state, e2.state, e3.state) == ("enrolled", "enrolled", "waitlisted")
    assert e3.waitlist_position == 1
    course = a.courses.get("gpu-101")
    assert (course.sessions[0].enrolled, course.sessions[0].waitlisted) == (2, 1)
    with pytest.raises(ApiError) as err:
        a.courses.get("no-such-course")
    assert err.value.status == 404 and "no-such-course" in err.value.detail
    with pytest.raises(ApiError) as err:
        a.courses.enrol(sid)
    assert err.value.status == 409
    assert a.courses.cancel(e1.id).state == "cancelled"
    assert [(e.id, e.state) for e in c.courses.my_enrolments()] == [(e3.id, "enrolled")]
    with Client(url, staff["Authorization"].split()[1]) as s:
        roster = s.courses.roster(sid)
    names = {(e.email, e.state) for e in roster}
    assert ("p1@ex.example", "enrolled") in names and ("p2@ex.example", "enrolled") in names
    with pytest.raises(ApiError) as err:
        a.courses.roster(sid)
    assert err.value.status == 403
    for x in clients:
        x.close()


async def test_sdk_courses_enrolments_and_waiting_list(client, db, live_url):
    staff = await api_user(db, "trainer@factory.example", staff=("support",))
    sid = await course_with_session(client, staff, seats=2)
    people = [await api_user(db, f"p{i}@ex.example") for i in range(3)]
    await asyncio.to_thread(_courses_journey, live_url, staff, people, sid)


def _partners_journey(url: str, founder: dict, other: dict) -> None:
    with sdk(url, founder) as f, sdk(url, other) as o:
        assert [p.slug for p in f.partners.list(kind="fund", country="fr")] == ["deeptech-seed"]
        assert f.partners.list(kind="incubator") == []
        assert f.partners.get("deeptech-seed").ticket_max_eur == 1500000
        intro = f.partners.request_introduction("deeptech-seed", organisation="neuro", pitch=PITCH)
        assert intro.state == "requested"
        [seen] = f.partners.introductions(state="requested")
        assert (seen.id, seen.partner_name, seen.organisation_name) == (
            intro.id,
            "DeepTech Seed",
            "Neuro",
        )
        assert o.partners.introductions() == []
        with pytest.raises(ApiError) as err:
            f.partners.request_introduction("deeptech-seed", organisation="bigco", pitch=PITCH)
        assert err.value.status in (409, 422) and "startups" in err.value.detail
        with pytest.raises(ApiError) as err:
            f.partners.request_introduction("deeptech-seed", organisation="neuro", pitch="short")
        assert err.value.status == 422 and err.value.errors[0]["field"] == "pitch"
        offers = o.offers.list(kind="internship")
        assert [x.title for x in offers] == ["ML intern"] and o.offers.list(kind="job") == []


async def _partners_world(client, db):
    _, founder, *_ = await partners_setup(client, db)
    r = await client.post(
        "/api/v1/talent/offers",
        json={"organisation": "neuro", "kind": "internship", "title": "ML intern"},
        headers=founder,
    )
    assert r.status_code == 201, r.text
    other = await api_user(db, "other@ex.example")
    return founder, other


async def test_sdk_partners_introductions_offers(client, db, live_url):
    founder, other = await _partners_world(client, db)
    await asyncio.to_thread(_partners_journey, live_url, founder, other)


def _recommend_journey(url: str, w: dict, stranger: dict) -> None:
    with sdk(url, w["pi"]) as pi, sdk(url, stranger) as outsider:
        rec = pi.recommend.for_project("mri", limit=3)
        assert rec.project == "mri" and rec.sector == "health" and rec.method == "bm25+rules"
        experts = rec.groups.get("expert", [])
        assert experts and all(len(i.reasons) > 0 for i in experts)
        with pytest.raises(ApiError) as err:
            outsider.recommend.for_project("mri")
        assert err.value.status == 404 and "mri" in err.value.detail
        with pytest.raises(ApiError) as err:
            pi.recommend.for_project("mri", limit=99)
        assert err.value.status == 422
        found = pi.recommend.search("rocm porting", kinds=["expert"])
        assert set(found.groups) <= {"expert"}
        assert found.groups["expert"][0].title == "Rita Rocm"


async def test_sdk_recommend_and_search(client, db, live_url):
    w = await desk_and_project(client, db)
    stranger = await api_user(db, "stranger@ex.example")
    await asyncio.to_thread(_recommend_journey, live_url, w, stranger)
