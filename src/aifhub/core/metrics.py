"""Prometheus metrics: request counts and latencies by route template."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter("aifhub_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "aifhub_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _route_of(request: Request) -> str:
    # Label by template ('/api/v1/projects/{slug}'), never by raw path: bounded cardinality.
    route = request.scope.get("route")
    return str(getattr(route, "path_format", None) or getattr(route, "path", "unmatched"))


def install_metrics(app: FastAPI) -> None:
    """Count and time every request, and serve /metrics."""

    @app.middleware("http")
    async def _measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        route = _route_of(request)
        LATENCY.labels(request.method, route).observe(time.perf_counter() - start)
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        return response

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
