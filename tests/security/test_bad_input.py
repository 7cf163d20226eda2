"""Bad input and a lost database get 4xx/503 problem+json, never a 500 or plain text."""

from __future__ import annotations

import asyncio
import re
import socket

import httpx
import pytest
from sqlalchemy import func, select

from aifhub.app import create_app
from aifhub.compute.models import Job

from ..compute.conftest import compute_settings, job_body, world  # noqa: F401  (fixtures)
from ..factories import api_user
from ..identity.api_helpers import assert_problem

HUGE = [2**31, 2**63, 2**64]


async def test_ids_past_32_bits_in_every_path_are_refused(client, db, app):
    h = await api_user(db, "root@factory.example", staff=("admin",))
    spec = (await client.get("/api/v1/openapi.json")).json()
    checked = 0
    for path, ops in spec["paths"].items():
        names = re.findall(r"\{(\w+_id|id)\}", path)
        if not names or "get" not in ops:
            continue
        for value in HUGE:
            url = "/api/v1" + path.removeprefix("/api/v1")
            for name in names:
                url = url.replace("{" + name + "}", str(value))
            url = re.sub(r"\{\w+\}", "x", url)
            r = await client.get(url, headers=h)
            assert r.status_code in (404, 422), f"{url}: {r.status_code} {r.text[:200]}"
            assert r.headers["content-type"].startswith("application/problem+json"), url
            checked += 1
    assert checked >= 20


async def test_huge_ids_in_writes_and_queries(client, db):
    h = await api_user(db, "root@factory.example", staff=("admin",))
    r = await client.put(
        f"/api/v1/users/{2**31}/staff-roles", json={"roles": ["support"]}, headers=h
    )
    assert_problem(r, 422, "user_id")
    r = await client.get(f"/api/v1/audit?actor_id={2**63}", headers=h)
    assert_problem(r, 422, "actor_id")


@pytest.mark.parametrize("offset", [2**31, 2**63, 2**64])
async def test_huge_offsets_are_refused(client, db, offset):
    h = await api_user(db, "ada@example.eu")
    for path in ["/api/v1/projects", "/api/v1/organisations", "/api/v1/jobs"]:
        r = await client.get(f"{path}?offset={offset}", headers=h)
        assert_problem(r, 422, "offset")


async def test_nul_bytes_in_text_are_refused_naming_the_field(client, db):
    h = await api_user(db, "ada@example.eu")
    body = {"slug": "labx", "name": "Lab\u0000X", "kind": "startup", "country": "FR"}
    r = await client.post("/api/v1/organisations", json=body, headers=h)
    problem = assert_problem(r, 422, "name", "NUL")
    assert problem["errors"][0]["field"] == "name"
    r = await client.patch("/api/v1/me", json={"name": "a\x00b"}, headers=h)
    assert_problem(r, 422, "name")
    r = await client.get("/api/v1/projects", params={"q": "x\x00"}, headers=h)
    assert_problem(r, 422, "q")
    me = await client.get("/api/v1/me", headers=h)
    assert "\x00" not in me.json()["name"]


async def test_a_huge_window_is_refused(client, db):
    h = await api_user(db, "desk@factory.example", staff=("support",))
    r = await client.get("/api/v1/support/dashboard?window_days=99999999999", headers=h)
    assert_problem(r, 422, "window_days")


async def test_the_same_idempotency_key_ten_times_at_once(client, db, world):  # noqa: F811
    h = {**world.member, "Idempotency-Key": "same-key"}
    # A token used within the minute is not touched again: nothing then serialises the burst.
    assert (await client.get("/api/v1/jobs", headers=world.member)).status_code == 200
    results = await asyncio.gather(
        *(client.post("/api/v1/jobs", json=job_body(), headers=h) for _ in range(10))
    )
    codes = sorted(r.status_code for r in results)
    assert 500 not in codes and codes.count(201) == 1, [r.text[:200] for r in results]
    assert set(codes) <= {200, 201, 409}, codes
    ids = {r.json()["id"] for r in results if r.status_code in (200, 201)}
    assert len(ids) == 1
    for r in results:
        if r.status_code == 409:
            assert r.headers["content-type"].startswith("application/problem+json")
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Job)) == 1
    # a retry after the storm gets the one job back
    again = await client.post("/api/v1/jobs", json=job_body(), headers=h)
    assert again.status_code == 200 and again.json()["id"] in ids


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://aifhub:x@127.0.0.1:{port}/aifhub",
        "sqlite+aiosqlite:////nonexistent-folder/{port}/aifhub.db",
    ],
    ids=["postgresql-stopped", "sqlite-unreachable"],
)
async def test_a_lost_database_is_a_503_problem(settings, url):
    down = settings.model_copy(update={"database_url": url.format(port=_closed_port())})
    app = create_app(down, check_schema=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/api/v1/me", headers={"Authorization": "Bearer aifh_x"})
            assert_problem(r, 503, "database is not reachable")
            r = await c.post(
                "/api/v1/tokens/login", json={"email": "a@b.eu", "password": "x", "name": "n"}
            )
            assert_problem(r, 503, "try again")
