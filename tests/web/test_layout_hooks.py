"""The extension points other domains use: nav entries, dashboard cards, static files."""

from __future__ import annotations

from jinja2 import ChoiceLoader, DictLoader

from aifhub.web import dashboard, nav
from aifhub.web.render import templates

from .helpers import HTML, user_and_login


async def test_nav_entries_appended_by_a_domain(client, db, monkeypatch):
    monkeypatch.setattr(
        nav,
        "NAV",
        [
            *nav.NAV,
            nav.NavItem("Jobs", "/jobs", order=40),
            nav.NavItem("Reviews", "/staff/reviews", staff_only=True, staff_roles=("reviewer",)),
        ],
    )
    await user_and_login(client, db, "ada@example.eu")
    page = await client.get("/", headers=HTML)
    assert 'href="/jobs"' in page.text and 'href="/staff/reviews"' not in page.text
    assert page.text.index('href="/organisations"') < page.text.index('href="/jobs"')
    await user_and_login(client, db, "rev@example.eu", staff=("reviewer",))
    page = await client.get("/", headers=HTML)
    assert 'href="/staff/reviews"' in page.text and 'href="/staff/users"' not in page.text


async def test_dashboard_card_providers(client, db, monkeypatch):
    seen = []

    async def jobs_card(session, user, request):
        seen.append(user.email)
        return dashboard.Card("test_card.html", {"jobs": ["train-llm", "eval"]}, order=5)

    async def nothing(session, user, request):
        return None

    monkeypatch.setattr(dashboard, "DASHBOARD_CARDS", [jobs_card, nothing])
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


async def test_static_files_are_served_from_the_package(client):
    css = await client.get("/static/app.css")
    assert css.status_code == 200 and "--brand" in css.text
    js = await client.get("/static/htmx.min.js")
    assert js.status_code == 200 and "htmx.org 2.0.11" in js.text[:200]
