"""create_app(): the FastAPI application with every domain's routers and pages mounted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from aifhub import __version__
from aifhub.core.bodylimit import BodyGuard, BodyRule, rule
from aifhub.core.config import Settings, get_settings
from aifhub.core.context import ContextPerRequest
from aifhub.core.db import make_engine, make_sessionmaker
from aifhub.core.errors import install_error_handlers
from aifhub.core.headers import SecurityHeaders
from aifhub.core.http import PlainErrorsAsProblems, allow_head
from aifhub.core.infra import build_infrastructure
from aifhub.core.mail import mail_gauges
from aifhub.core.metrics import install_metrics
from aifhub.core.migrate import check_migrated
from aifhub.core.modules import Assembly
from aifhub.core.openapi import install_openapi
from aifhub.core.validation import reject_nul_bytes
from aifhub.domains import DOMAINS
from aifhub.identity.bodyauth import credentials_problem
from aifhub.support import attachments
from aifhub.web.apidocs import install_api_docs
from aifhub.web.render import render_error
from aifhub.web.setup import install_web
from aifhub.worker import Worker

API_PREFIX = "/api/v1"
API_DOCS = f"{API_PREFIX}/docs"


# Forms that are posted before one has credentials: they get a small body limit instead of a 401.
ANONYMOUS_FORMS = (
    r"/login|/register|/logout|/api/v1/tokens/login"
    r"|/(?:password|forgot|reset|verify|invitations)[a-z0-9/_-]*"
)


def body_rules(settings: Settings, site_support: dict[str, Any] | None) -> list[BodyRule]:
    """Per-route body limits: large for uploads, small for anonymous forms, default otherwise."""
    mb = (site_support or {}).get("attachment_max_mb")
    per_file = int(float(mb) * 1024 * 1024) if mb else attachments.DEFAULT_MAX_BYTES
    # A message's files, plus room for the multipart framing and the text fields.
    ticket_body = attachments.MAX_FILES * per_file + 1024 * 1024
    return [
        rule("PUT", API_PREFIX + r"/catalog/[^/]+/[^/]+/versions/[^/]+/files/.+",
             settings.max_upload_bytes),
        rule("POST", API_PREFIX + r"/tickets/\d+/messages", ticket_body),
        rule("POST", r"/support/tickets/\d+/reply", ticket_body),
        rule("POST", r"/support/new", ticket_body),
        rule("POST", ANONYMOUS_FORMS, settings.max_anonymous_body_bytes, anonymous=True),
    ]  # fmt: skip


def create_app(
    settings: Settings | None = None, *, check_schema: bool = True, domains: Assembly = DOMAINS
) -> FastAPI:
    """Build the application for these settings from these domains (all of them by default)."""
    settings = settings or get_settings()
    # The site file is parsed and the folders resolved here, once, for the app's lifetime.
    infra = build_infrastructure(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(
            settings.resolved_database_url(),
            echo=settings.log_sql,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout_s=settings.db_pool_timeout_s,
        )
        # Partial uploads of a process that died (kill -9, power loss) are removed here.
        await asyncio.to_thread(infra.store.sweep_temp, settings.stale_upload_s)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        if check_schema:
            await check_migrated(engine)
            for step in domains.startup:
                await step(app.state.sessionmaker, infra)
        app.state.started_at = time.time()
        worker_task = None
        if settings.run_worker_in_process:
            worker = Worker(app.state.sessionmaker, infra, domains=domains)
            worker_task = asyncio.create_task(worker.run())
        try:
            yield
        finally:
            if worker_task is not None:
                worker.stop()
                await worker_task
            await infra.aclose()
            await engine.dispose()

    app = FastAPI(
        title="aifhub",
        version=__version__,
        summary="The one-stop platform of an AI Factory",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served by install_api_docs, without a CDN
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(reject_nul_bytes)],
    )
    app.state.settings = settings
    # Settings, parsed site file, folders, object store, backends: reached through `Infra`.
    app.state.infra = infra
    # The layout's navigation, the dashboard's cards and what domains provide one another
    # (compute's JobInputs) are read from here by the pages and dependencies that need them.
    app.state.assembly = domains
    # Called at each federated sign-in with the provider's verified claims (identity/oidc.py).
    app.state.federated_sign_in_hooks = list(domains.sign_in_hooks)
    install_error_handlers(app, render_html=render_error)
    install_metrics(app, providers=(mail_gauges, *domains.gauges))
    install_web(app)
    install_api_docs(app, docs_path=API_DOCS, openapi_path=f"{API_PREFIX}/openapi.json")

    app.add_middleware(ContextPerRequest)
    app.add_middleware(PlainErrorsAsProblems)

    # Added last, so it runs first: nothing reads a body before the credentials are checked.
    app.add_middleware(
        BodyGuard,
        check_credentials=credentials_problem,
        default_max_bytes=settings.max_body_bytes,
        rules=body_rules(settings, infra.site.section("support")),
    )
    # Outermost, so the guard's 401/413 answers carry the headers too.
    # Strict-Transport-Security only where the site is served over HTTPS: over plain HTTP it
    # would be ignored at best, and would pin a development host at worst.
    https = settings.secure_cookies or settings.base_url.startswith("https://")
    app.add_middleware(SecurityHeaders, hsts=https, docs_path=API_DOCS)

    allow_head((*domains.api_routers, *domains.page_routers, *domains.root_routers))
    for router in domains.api_routers:
        app.include_router(router, prefix=API_PREFIX)
    for router in domains.page_routers:
        app.include_router(router)
    for router in domains.root_routers:
        app.include_router(router)
    install_openapi(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz(request: Request) -> Any:
        try:
            async with request.app.state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # the probe reports, it does not crash
            return JSONResponse({"status": "fail", "database": str(exc)}, status_code=503)
        return {"status": "ok", "version": __version__}

    allow_head([app.router])  # the app's own routes (/healthz, /metrics, the API docs)
    return app
