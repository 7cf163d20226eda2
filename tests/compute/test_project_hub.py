"""The project page is the project's hub: every domain's part one click away, cheaply.

Members see applications and allocations with their balance, recent jobs (new, all), the
usage report and its CSV, data requests, tickets and recommendations; staff-only links stay
hidden from them. The page runs a bounded number of statements whatever the project holds.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from aifhub.access.models import LedgerEntry
from aifhub.core.db import utcnow
from aifhub.identity.models import Project

from ..catalog.helpers import owner_with_asset, publish
from ..factories import make_user
from ..identity.test_api_query_count import counting
from ..web.helpers import HTML, login
from .conftest import add_allocation, job_body


async def _ticket(client, headers, title: str) -> dict:
    body = {
        "project": "proj",
        "title": title,
        "body": "The job stays queued for hours on the GPU partition.",
        "category": "compute",
        "priority": "normal",
    }
    r = await client.post("/api/v1/tickets", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def _data_request(client, db, pi) -> None:
    owner = await owner_with_asset(client, db, access_policy="gated")
    await publish(client, owner, "neuro/mri-small", "v1", {"scan.nii": b"mri-bytes"})
    body = {"project": "proj", "purpose": "Segmentation of brain scans for a thesis"}
    r = await client.post("/api/v1/catalog/neuro/mri-small/requests", json=body, headers=pi)
    assert r.status_code == 201, r.text


async def test_project_page_is_the_hub_for_a_member(client, db, world):
    job = (await client.post("/api/v1/jobs", json=job_body(), headers=world.member)).json()
    ticket = await _ticket(client, world.pi, "Queued for hours")
    await _data_request(client, db, world.pi)
    await login(client, "pi@lab.eu")
    page = await client.get("/projects/proj", headers=HTML)
    assert page.status_code == 200, page.text
    text = page.text
    # members, then each part, in the page's own navigation too
    for anchor in ("members", "allocations", "jobs", "data-requests", "tickets", "recommendations"):
        assert f'id="{anchor}"' in text and f'href="#{anchor}"' in text
    # allocations with their balance (the job reserved hours of the GPU one), applications
    assert "testc/gpu" in text and "testc/cpu" in text
    for header in ("Granted", "Used", "Reserved", "Left"):
        assert f"<th>{header}</th>" in text
    assert 'href="/applications/new?project=proj"' in text
    assert 'href="/applications?project=proj"' in text
    assert 'href="/allocations?project=proj"' in text
    # jobs: the recent one, new, all
    assert f'href="/jobs/{job["id"]}"' in text and job["name"] in text
    assert 'href="/jobs/new?project=proj"' in text and 'href="/jobs?project=proj"' in text
    # usage and its CSV
    assert 'href="/projects/proj/usage"' in text
    assert 'href="/api/v1/projects/proj/usage?format=csv"' in text
    # data requests, tickets, recommendations
    assert 'href="/catalog/neuro/mri-small"' in text and "MRI small" in text
    assert f'href="/support/tickets/{ticket["id"]}"' in text and "Queued for hours" in text
    assert 'href="/support/new?project=proj"' in text
    assert 'href="/projects/proj/recommendations"' in text
    # staff-only parts are not shown to a member
    assert "/staff/access" not in text and "/staff/network" not in text

    # each link leads somewhere that answers, filtered to the project where it says so
    for url in ("/jobs?project=proj", "/allocations?project=proj", "/applications?project=proj"):
        assert (await client.get(url, headers=HTML)).status_code == 200, url
    jobs = await client.get("/jobs?project=theirs", headers=HTML)
    assert f'href="/jobs/{job["id"]}"' not in jobs.text
    form = await client.get("/support/new?project=proj&title=Hello", headers=HTML)
    assert '<option value="proj" selected' in form.text and 'value="Hello"' in form.text
    csv = await client.get("/api/v1/projects/proj/usage?format=csv")
    assert csv.status_code == 200 and csv.text.startswith("day,allocation_id")

    # a member who manages nothing sees only their own jobs; the page still answers in French
    await login(client, "member@lab.eu")
    client.cookies.set("lang", "fr")
    fr = await client.get("/projects/proj", headers=HTML)
    assert fr.status_code == 200 and "Heures de calcul" in fr.text and "Nouveau job" in fr.text
    assert "Demandes de données" in fr.text and "Tous les jobs" in fr.text


async def test_staff_see_their_links_on_the_hub(client, db, world):
    await make_user(db, "admin@factory.eu", staff=("admin",))
    await login(client, "admin@factory.eu")
    page = await client.get("/projects/proj", headers=HTML)
    assert page.status_code == 200
    assert 'href="/staff/access"' in page.text and 'href="/staff/network"' in page.text


async def test_hub_runs_a_bounded_number_of_statements(client, app, db, world):
    await login(client, "pi@lab.eu")
    await client.get("/projects/proj", headers=HTML)  # warm
    with counting(app) as few:
        r = await client.get("/projects/proj", headers=HTML)
    assert r.status_code == 200
    # much more in every part: jobs, tickets, allocations, ledger rows
    for i in range(6):
        r = await client.post(
            "/api/v1/jobs", json=job_body(name=f"j{i}", gpus=0, partition="cpu"), headers=world.pi
        )
        assert r.status_code == 201, r.text
        await _ticket(client, world.pi, f"Ticket {i}")
    for _ in range(4):
        await add_allocation(db, "proj", world.cpu, Decimal(10), days=(-3, 10))
    with counting(app) as many:
        r = await client.get("/projects/proj", headers=HTML)
    assert r.status_code == 200 and "Ticket 5" in r.text and "j5" in r.text
    assert len(many) == len(few), "a statement per row: " + "\n".join(many)
    assert len(many) <= 16, "\n".join(many)  # 13 when written: 5 for the five parts


async def test_usage_page_chart_in_english_and_french(client, db, world):
    big = await add_allocation(db, "proj", world.gpu, Decimal("5000"), days=(-10, 20))
    now = utcnow()
    db.add_all(
        [
            LedgerEntry(allocation_id=big.id, kind="adjust", amount=Decimal("1000"),
                        at=now - timedelta(days=5), note="t"),
            LedgerEntry(allocation_id=big.id, kind="adjust", amount=Decimal("234.5"),
                        at=now - timedelta(days=2), note="t"),
            LedgerEntry(allocation_id=big.id, kind="reserve", amount=Decimal("100"),
                        at=now - timedelta(days=1), job_key="testc:999"),
        ]
    )  # fmt: skip
    await db.commit()
    await login(client, "pi@lab.eu")
    proj = await client.get("/projects/proj", headers=HTML)
    assert 'href="/projects/proj/usage"' in proj.text
    en = await client.get("/projects/proj/usage", headers=HTML)
    assert en.status_code == 200
    assert f'id="chart-{big.id}-title"' in en.text and 'role="img"' in en.text
    assert "Use of testc/gpu against its grant" in en.text
    for label in ("Granted", "Used", "Used + reserved", "Date", "Hours ("):
        assert label in en.text
    assert "1,234.5 hours used and 100 reserved of 5,000 granted" in en.text
    assert 'href="/api/v1/projects/proj/usage?format=csv"' in en.text
    client.cookies.set("lang", "fr")
    fr = await client.get("/projects/proj/usage", headers=HTML)
    assert "Consommation de testc/gpu par rapport à l'allocation" in fr.text
    assert "1\u202f234,5 heures utilisées et 100 réservées sur 5\u202f000 accordées" in fr.text
    assert "Consommé + réservé" in fr.text and "Heures (" in fr.text
    project = await db.scalar(select(Project).where(Project.slug == "proj"))
    assert project is not None
