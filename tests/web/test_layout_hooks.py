"""The extension points a domain plugs into through its module object: nav entries,
dashboard cards; and the static files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader

from aifhub.core.modules import Assembly, Card, DomainModule, NavItem, Periodic
from aifhub.web.render import templates

from .helpers import HTML, user_and_login


@pytest.fixture
def plug(app: Any) -> Iterator[Callable[[DomainModule], None]]:
    """Plug one more domain module into the running app, for one test."""
    original = app.state.assembly

    def _plug(module: DomainModule) -> None:
        app.state.assembly = replace(original, modules=(*original.modules, module))

    yield _plug
    app.state.assembly = original


async def test_nav_entries_of_a_domain_module(plug, client, db):
    lab = DomainModule(
        name="lab",
        nav=(
            NavItem("Lab", "/lab", order=35),
            NavItem("Lab desk", "/staff/lab", staff_only=True, staff_roles=("reviewer",)),
        ),
    )
    plug(lab)
    await user_and_login(client, db, "ada@example.eu")
    page = await client.get("/", headers=HTML)
    assert 'href="/lab"' in page.text and 'href="/staff/lab"' not in page.text
    # Ordered by `order` among the other domains' entries.
    text = page.text
    assert (
        text.index('href="/organisations"') < text.index('href="/lab"') < text.index('href="/jobs"')
    )
    await user_and_login(client, db, "rev@example.eu", staff=("reviewer",))
    page = await client.get("/", headers=HTML)
    assert 'href="/staff/lab"' in page.text and 'href="/staff/users"' not in page.text


async def test_dashboard_card_providers_of_a_domain_module(plug, client, db, monkeypatch):
    seen = []

    async def jobs_card(session, user, request):
        seen.append(user.email)
        return Card("test_card.html", {"jobs": ["train-llm", "eval"]}, order=5)

    async def nothing(session, user, request):
        return None

    plug(DomainModule(name="lab", cards=(jobs_card, nothing)))
    loader = templates.env.loader
    card = (
        '<section class="card" id="jobs">'
        "{% for j in card.context.jobs %}<b>{{ j }}</b>{% endfor %}</section>"
    )
    monkeypatch.setattr(
        templates.env, "loader", ChoiceLoader([loader, DictLoader({"test_card.html": card})])
    )
    await user_and_login(client, db, "ada@example.eu")
    page = await client.get("/", headers=HTML)
    assert '<section class="card" id="jobs"><b>train-llm</b><b>eval</b></section>' in page.text
    assert set(seen) == {"ada@example.eu"}  # called for each dashboard view


def test_a_domain_or_a_task_name_listed_twice_is_refused():
    lab = DomainModule(name="lab")
    with pytest.raises(ValueError, match="listed twice"):
        Assembly((lab, replace(lab)))

    async def tick(ctx):
        return 0

    twice = DomainModule(name="lab", periodic=(Periodic("lab.tick", 1, tick),) * 2)
    with pytest.raises(ValueError, match="share a name"):
        Assembly((twice,))


async def test_static_files_are_served_from_the_package(client):
    css = await client.get("/static/app.css")
    assert css.status_code == 200 and "--brand" in css.text
    js = await client.get("/static/htmx.min.js")
    assert js.status_code == 200 and "htmx.org 2.0.11" in js.text[:200]
