"""Prometheus metrics: requests by route template, worker tasks, and the domains' gauges.

The request middleware is plain ASGI (no BaseHTTPMiddleware: nothing is copied through
memory streams) and labels a request by its route's full template, `/api/v1/projects/{slug}`
apart from the page `/projects/{slug}`; a static file by its mount (`/static/{path}`); only a
path no route knows is "unmatched" (bounded labels either way).

Domain gauges (jobs by state, the mail backlog, allocation hours...) are read from the
database when /metrics is scraped, by the providers the domains declare (`DomainModule.gauges`).
`/metrics` answers OpenMetrics to a scraper that asks for it (`Accept:
application/openmetrics-text`), the Prometheus text format otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OPENMETRICS_TYPE
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aifhub.core.http import route_template

log = logging.getLogger("aifhub.metrics")

REQUESTS = Counter("aifhub_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "aifhub_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASK_RUNS = Counter("aifhub_worker_task_runs_total", "Worker task runs", ["task"])
TASK_FAILURES = Counter(
    "aifhub_worker_task_failures_total", "Worker task runs that raised (retried later)", ["task"]
)


@dataclass(frozen=True)
class GaugeSamples:
    """One gauge and its current values, one per label set."""

    name: str
    help: str
    labels: tuple[str, ...] = ()
    values: Sequence[tuple[tuple[str, ...], float]] = ()


# A domain's provider reads its gauges from the database (a few aggregate statements).
GaugeProvider = Callable[[AsyncSession], Awaitable[Sequence[GaugeSamples]]]


class _DomainGauges(Collector):
    """The domains' gauges as of the last scrape (refreshed by /metrics before rendering)."""

    def __init__(self) -> None:
        self.latest: dict[str, GaugeSamples] = {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for g in self.latest.values():
            family = GaugeMetricFamily(g.name, g.help, labels=list(g.labels))
            for labels, value in g.values:
                family.add_metric(list(labels), value)
            yield family


DOMAIN_GAUGES = _DomainGauges()
REGISTRY.register(DOMAIN_GAUGES)


class RequestMetrics:
    """Count and time every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            route = route_template(scope) or "unmatched"
            method = scope.get("method", "GET")
            LATENCY.labels(method, route).observe(time.perf_counter() - start)
            REQUESTS.labels(method, route, str(status)).inc()


async def refresh_domain_gauges(
    maker: async_sessionmaker[AsyncSession], providers: Iterable[GaugeProvider]
) -> None:
    """Read every domain's gauges; a provider that fails keeps its previous values."""
    async with maker() as session:
        for provider in providers:
            try:
                for g in await asyncio.wait_for(provider(session), timeout=5):
                    DOMAIN_GAUGES.latest[g.name] = g
            except Exception:  # a scrape reports what it can; the failure is logged
                log.exception("gauge provider %s failed", getattr(provider, "__name__", provider))
                await session.rollback()


def install_metrics(app: FastAPI, providers: Sequence[GaugeProvider] = ()) -> None:
    """Count and time every request, and serve /metrics."""
    app.add_middleware(RequestMetrics)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        maker = getattr(request.app.state, "sessionmaker", None)
        if maker is not None and providers:
            await refresh_domain_gauges(maker, providers)
        if "application/openmetrics-text" in request.headers.get("accept", ""):
            return Response(openmetrics_latest(REGISTRY), media_type=OPENMETRICS_TYPE)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
