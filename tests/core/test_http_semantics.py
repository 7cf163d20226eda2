"""HEAD wherever GET is, a true Allow on 405, 416 and 429 as problems, and /metrics."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from prometheus_client.parser import text_string_to_metric_families

from aifhub.core.http import leaf_routes
from aifhub.core.metrics import TASK_FAILURES
from aifhub.core.modules import Periodic, TaskContext
from aifhub.worker import Worker

from ..catalog.helpers import owner_with_asset, publish
from ..factories import api_user


def _get_routes_without_parameters(app: Any) -> list[str]:
    paths = []
    for prefix, route in leaf_routes(app.routes):
        if isinstance(route, APIRoute) and "GET" in (route.methods or ()):
            path = prefix + route.path_format
            if "{" not in path and path not in ("/logout",):
                paths.append(path)
    return sorted(set(paths))


async def test_head_answers_wherever_get_does(app, client: httpx.AsyncClient, db) -> None:
    headers = await api_user(db, "head@example.eu")
    paths = _get_routes_without_parameters(app)
    assert "/api/v1/projects" in paths and "/catalog" in paths
    for path in paths:
        get = await client.get(path, headers=headers)
        head = await client.head(path, headers=headers)
        assert head.status_code == get.status_code, (path, head.status_code, get.status_code)
        assert head.content == b"", path
        assert head.headers.get("content-type") == get.headers.get("content-type"), path


async def test_405_names_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    r = await client.delete("/login")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, POST"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "DELETE is not allowed here" in r.json()["detail"]
    r = await client.post("/api/v1/catalog/some/asset/dcat.jsonld")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


async def test_416_is_a_problem_with_the_size(client: httpx.AsyncClient, db) -> None:
    h = await owner_with_asset(client, db)
    await publish(client, h, "neuro/mri-small", "v1", {"a.bin": b"x" * 100})
    url = "/api/v1/catalog/neuro/mri-small/versions/v1/files/a.bin"
    ok = await client.get(url, headers={**h, "Range": "bytes=10-19"})
    assert ok.status_code == 206 and ok.content == b"x" * 10
    r = await client.get(url, headers={**h, "Range": "bytes=500-600"})
    assert r.status_code == 416
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["content-range"] == "bytes */100"
    assert "outside the file" in r.json()["detail"]


async def test_429_says_when_to_retry(client: httpx.AsyncClient, db) -> None:
    await api_user(db, "slow@example.eu")
    last = None
    for _ in range(30):
        last = await client.post(
            "/api/v1/tokens/login",
            json={"email": "slow@example.eu", "password": "wrong-password-123", "name": "t"},
        )
        if last.status_code == 429:
            break
    assert last is not None and last.status_code == 429, last.text if last else None
    assert int(last.headers["retry-after"]) > 0
    assert last.headers["content-type"].startswith("application/problem+json")


def _samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name:
                out[tuple(sorted(s.labels.items()))] = s.value
    return out


async def test_metrics_label_full_routes_and_read_domain_gauges(client, db) -> None:
    headers = await api_user(db, "metrics@example.eu")
    await client.get("/api/v1/projects", headers=headers)
    await client.get("/projects", headers=headers)
    await client.get("/static/app.css")
    await client.get("/no/such/page")
    text = (await client.get("/metrics")).text
    routes = {dict(k)["route"] for k in _samples(text, "aifhub_http_requests_total")}
    assert {"/api/v1/projects", "/projects", "/static/{path}", "unmatched"} <= routes
    jobs = _samples(text, "aifhub_jobs")
    assert {dict(k)["state"] for k in jobs} >= {"queued", "running", "completed"}
    assert _samples(text, "aifhub_mail_backlog")
    assert "aifhub_job_delivery_backlog" in text
    assert "# TYPE aifhub_allocation_hours gauge" in text


async def test_metrics_speak_openmetrics_when_asked(client) -> None:
    r = await client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    assert r.text.rstrip().endswith("# EOF")
    plain = await client.get("/metrics")
    assert plain.headers["content-type"].startswith("text/plain")


@pytest.mark.usefixtures("db")
async def test_worker_counts_task_failures(app) -> None:
    async def broken(ctx: TaskContext) -> int:
        raise RuntimeError("boom")

    before = TASK_FAILURES.labels("test.broken")._value.get()
    worker = Worker(app.state.sessionmaker, app.state.infra)
    worker.tasks = [Periodic("test.broken", 1.0, broken)]
    assert await worker.run_once() == {"test.broken": 0}
    assert TASK_FAILURES.labels("test.broken")._value.get() == before + 1
    assert re.search(r"aifhub_worker_task_failures_total\{task=\"test.broken\"\}", _exposition())


def _exposition() -> str:
    from prometheus_client import generate_latest

    return generate_latest().decode()
