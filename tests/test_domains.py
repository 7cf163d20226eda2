"""The one registration point: every domain's routers, pages, nav entries, cards, periodic
tasks and commands reach the app, the worker and the CLI through `aifhub.domains`, and a
domain that forgets to declare one fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer
from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts

import aifhub
from aifhub.access.card import access_card
from aifhub.app import create_app
from aifhub.catalog.card import requests_card
from aifhub.catalog.job_inputs import CatalogJobInputs
from aifhub.cli import app as cli_app
from aifhub.compute.inputs import job_inputs_in
from aifhub.compute.login_proofs import apply_oidc_claims
from aifhub.core.config import Settings
from aifhub.domains import DOMAINS
from aifhub.recommend.web import help_card
from aifhub.worker import collect_tasks

PACKAGE = Path(aifhub.__file__).parent


@pytest.fixture(scope="module")
def app() -> FastAPI:
    """The app as `aifhub serve` builds it (not started: nothing here needs a database)."""
    return create_app(Settings(secret_key="x"), check_schema=False)


def _domain_packages() -> list[str]:
    """Every domain package of aifhub: one with business rules (`service.py`) or tables."""
    return sorted(
        p.name
        for p in PACKAGE.iterdir()
        if (p / "service.py").is_file() or (p / "models.py").is_file()
    )


def _modules_of(domain: str) -> Iterator[ModuleType]:
    package = importlib.import_module(f"aifhub.{domain}")
    yield package
    for info in pkgutil.walk_packages(package.__path__, prefix=f"aifhub.{domain}."):
        yield importlib.import_module(info.name)


def _endpoints(routes: list[Any]) -> set[tuple[Any, frozenset[str]]]:
    return {
        (r.endpoint, frozenset(r.methods or ()))
        for r in iter_route_contexts(routes)
        if r.endpoint is not None
    }


def test_every_domain_with_a_module_object_is_listed():
    assert [m.name for m in DOMAINS.modules] == [
        "identity", "resources", "access", "compute", "catalog", "support", "ecosystem",
        "recommend",
    ]  # fmt: skip
    # Every domain declares its module object and is listed.
    assert sorted(m.name for m in DOMAINS.modules) == _domain_packages()
    for module in DOMAINS.modules:
        declared = importlib.import_module(f"aifhub.{module.name}.module").module
        assert declared is module


def test_every_router_a_domain_defines_is_mounted(app):
    mounted = _endpoints(app.routes)
    for domain in _domain_packages():
        for module in _modules_of(domain):
            for name, value in vars(module).items():
                if isinstance(value, APIRouter) and value.routes:
                    missing = _endpoints(value.routes) - mounted
                    assert not missing, f"{module.__name__}.{name} is not in {domain}'s module"


def test_api_routes_are_under_the_api_prefix_and_pages_are_not(app):
    api = _endpoints(
        [r for m in DOMAINS.modules for router in m.api_routers for r in router.routes]
    )
    paths = {
        (r.endpoint, frozenset(r.methods or ())): r.path
        for r in iter_route_contexts(app.routes)
        if r.endpoint is not None
    }
    for endpoint in api:
        assert paths[endpoint].startswith("/api/v1/"), paths[endpoint]
    pages = [r for m in DOMAINS.modules for router in m.page_routers for r in router.routes]
    for endpoint in _endpoints(pages):
        assert not paths[endpoint].startswith("/api/"), paths[endpoint]


def test_nav_entries_of_every_domain_in_order(app):
    nav = app.state.assembly.nav
    assert [(i.url, i.order) for i in nav] == [
        ("/", 10), ("/projects", 20), ("/applications", 24), ("/allocations", 26),
        ("/organisations", 30), ("/jobs", 40), ("/cluster-logins", 45), ("/catalog", 50),
        ("/support", 50), ("/training", 60), ("/partners", 70), ("/talent", 75),
        ("/search", 80), ("/staff/reviews", 880), ("/staff/access", 890),
        ("/staff/audit", 900), ("/staff/users", 910), ("/staff/network", 920),
        ("/staff/cluster-logins", 920), ("/support/desk", 920), ("/staff/clusters", 925),
    ]  # fmt: skip
    # Every entry leads to a page the app serves.
    pages = {r.path for r in iter_route_contexts(app.routes) if "GET" in (r.methods or ())}
    assert {i.url for i in nav} <= pages


def test_dashboard_cards_of_every_domain(app):
    assert app.state.assembly.cards == (access_card, requests_card, help_card)


def test_domains_provide_job_inputs_and_sign_in_hooks(app):
    assert isinstance(job_inputs_in(app.state.assembly.provides), CatalogJobInputs)
    assert app.state.federated_sign_in_hooks == [apply_oidc_claims]


def test_worker_runs_core_and_every_domain_task():
    tasks = collect_tasks()
    assert [t.name for t in tasks] == [
        "mail.deliver",
        "access.allocation_states", "access.allocation_notices",
        "compute.deliver", "compute.cancel", "compute.poll", "compute.accounting",
        "compute.cluster_check", "support.sla_breaches",
    ]  # fmt: skip
    # A task function a domain wrote (an async function of a TaskContext) is registered.
    registered = {t.run for t in tasks}
    for domain in _domain_packages():
        for module in _modules_of(domain):
            for name, fn in vars(module).items():
                if inspect.iscoroutinefunction(fn) and fn.__module__ == module.__name__:
                    params = list(inspect.signature(fn).parameters.values())
                    if len(params) == 1 and params[0].annotation == "TaskContext":
                        assert fn in registered, f"{module.__name__}.{name} is not registered"


def test_cli_lists_every_domain_command():
    group = typer.main.get_command(cli_app)
    assert list(group.list_commands(None)) == [  # type: ignore[attr-defined,arg-type]
        "modes", "apply", "submit", "jobs", "job", "logs", "cancel", "usage", "login", "logout",
        "whoami", "recommend", "search", "serve", "worker", "demo", "create-admin",
        "applications", "reviews", "allocations", "data", "clusters", "logins", "courses",
        "partners", "offers", "orgs", "projects", "tokens", "db", "tickets", "kb",
    ]  # fmt: skip
