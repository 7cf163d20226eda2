"""Application pages say who acts next and by when; staff see the next step as a button, never an
action the rules refuse; the review queue shows application numbers and criteria labels."""

from __future__ import annotations

import re
from html import unescape

from babel.dates import format_date
from sqlalchemy import select

from aifhub.access.models import Application
from aifhub.access.modes import parse_modes
from aifhub.access.web_common import MODE_TEXTS
from aifhub.core import i18n

from ..web.helpers import HTML, login
from .test_pages import _form, _setup


async def in_french(client, url: str):
    """The page in French (the language switch's cookie), then back to English."""
    await client.get("/lang/fr?next=/")
    try:
        return await client.get(url, headers=HTML)
    finally:
        await client.get("/lang/en?next=/")


def _text(html: str, id_: str) -> str:
    """The text of the element with this id (tags dropped, spaces folded)."""
    found = re.search(rf'id="{id_}"[^>]*>(.*?)</(p|section|div)>', html, re.S)
    assert found, f"no #{id_} on the page"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def _buttons(html: str) -> list[str]:
    block = re.search(r'id="staff-actions">(.*?)</section>', html, re.S)
    assert block, "no staff actions"
    return [
        " ".join(unescape(b).split())
        for b in re.findall(r"<button[^>]*>(.*?)</button>", block.group(1), re.S)
    ]


def _main_buttons(html: str) -> list[str]:
    """The staff buttons styled as the next step (not secondary)."""
    block = re.search(r'id="staff-actions">(.*?)</section>', html, re.S)
    assert block, "no staff actions"
    return [
        " ".join(unescape(text).split())
        for attrs, text in re.findall(r"<button([^>]*)>(.*?)</button>", block.group(1), re.S)
        if "secondary" not in attrs
    ]


async def test_next_actor_and_staff_buttons_along_a_fast_lane_application(client, db):
    await _setup(client, db)
    csrf = await login(client, "pi@web.example")
    r = await client.post("/applications/new", data=_form(csrf), headers=HTML)
    url = r.headers["location"]
    page = await client.get(url, headers=HTML)
    assert "check it, then submit it" in _text(page.text, "next-actor")
    await client.post(f"{url}/submit", data={"csrf_token": csrf}, headers=HTML)
    app = await db.scalar(select(Application))
    due_en = format_date(app.due_date, "medium", locale="en")
    page = await client.get(url, headers=HTML)
    assert _text(page.text, "next-actor") == (
        f"Waiting for the factory's staff to start the technical assessment, expected by {due_en}."
    )
    fr = await in_french(client, url)
    assert "Dans l’attente" in _text(fr.text, "next-actor") or "En attente" in _text(
        fr.text, "next-actor"
    )
    assert "évaluation technique" in _text(fr.text, "next-actor")

    # Staff: the next step is a button, no refusal to read first.
    csrf_a = await login(client, "admin@factory.eu")
    page = await client.get(url, headers=HTML)
    assert _buttons(page.text) == ["Start the assessment", "Assign reviewers"]
    assert _main_buttons(page.text) == ["Start the assessment"]
    assert "first" not in page.text and "needs 1" not in page.text
    r = await client.post(f"{url}/assess", data={"csrf_token": csrf_a}, headers=HTML)
    page = await client.get(r.headers["location"], headers=HTML)
    assert "Technical assessment started." in page.text
    # Fast Lane has no peer review: neither the button nor the step is offered.
    assert _buttons(page.text) == ["Assign reviewers", "Request changes"]
    assert _main_buttons(page.text) == ["Assign reviewers"]
    assert "peer" not in page.text.split('id="staff-actions"')[1]
    assert _text(page.text, "next-actor") == (
        f"Waiting for a technical review by the factory's staff (0 of 1 in), expected by {due_en}."
    )
    r = await client.post(
        f"{url}/assign",
        data={"csrf_token": csrf_a, "reviewer": "rev@factory.eu", "step": "technical"},
        headers=HTML,
    )
    assert "Reviewer assigned." in (await client.get(url, headers=HTML)).text

    # The reviewer's queue: the application's number and the criteria labels.
    csrf_r = await login(client, "rev@factory.eu")
    queue = await client.get("/staff/reviews", headers=HTML)
    assert f"#{app.id}" in queue.text and "to do" in queue.text
    review_url = re.search(r'href="(/staff/reviews/\d+)"', queue.text).group(1)
    form = await client.get(review_url, headers=HTML)
    assert f"Application #{app.id}" in form.text
    for label in ("Technical feasibility", "Quality of the plan", "Expected impact"):
        assert f">{label}</label>" in form.text
    form_fr = await in_french(client, review_url)
    assert ">Faisabilité technique</label>" in form_fr.text
    scores = {f"score:{c}": "4" for c in ("feasibility", "quality", "impact", "resources")}
    await client.post(
        f"{review_url}/submit",
        data={"csrf_token": csrf_r, "comment": "Sound plan.", **scores},
        headers=HTML,
    )
    queue = await client.get("/staff/reviews", headers=HTML)
    assert "Technical feasibility: 4" in unescape(queue.text)
    queue_fr = await in_french(client, "/staff/reviews")
    assert "Faisabilité technique : 4" in unescape(queue_fr.text) or (
        "Faisabilité technique: 4" in unescape(queue_fr.text)
    )
    assert f"#{app.id}" in queue_fr.text and "feasibility" not in queue_fr.text

    # The review is in: deciding is the next step.
    await login(client, "pi@web.example")
    page = await client.get(url, headers=HTML)
    assert _text(page.text, "next-actor") == (
        f"Waiting for the decision of the factory's staff, expected by {due_en}."
    )
    csrf_a = await login(client, "admin@factory.eu")
    page = await client.get(url, headers=HTML)
    assert _buttons(page.text) == ["Assign reviewers", "Record the decision", "Request changes"]
    assert _main_buttons(page.text) == ["Record the decision"]
    data = {"csrf_token": csrf_a, "outcome": "accept", "reason": "Fine plan."}
    await client.post(f"{url}/decide", data={**data, "granted:jz/a100": "1000"}, headers=HTML)
    await login(client, "pi@web.example")
    page = await client.get(url, headers=HTML)
    assert _text(page.text, "next-actor").startswith("Your allocation is ready")
    assert 'href="/allocations"' in page.text


async def test_the_director_decides_national_access(client, db):
    await _setup(client, db)
    csrf = await login(client, "pi@web.example")
    form = _form(csrf, mode="national-dynamic", duration_months="12")
    url = (await client.post("/applications/new", data=form, headers=HTML)).headers["location"]
    await client.post(f"{url}/submit", data={"csrf_token": csrf}, headers=HTML)
    csrf_a = await login(client, "admin@factory.eu")
    await client.post(f"{url}/assess", data={"csrf_token": csrf_a}, headers=HTML)
    await client.post(
        f"{url}/assign",
        data={"csrf_token": csrf_a, "reviewer": "rev@factory.eu", "step": "technical"},
        headers=HTML,
    )
    csrf_r = await login(client, "rev@factory.eu")
    queue = await client.get("/staff/reviews", headers=HTML)
    review_url = re.search(r'href="(/staff/reviews/\d+)"', queue.text).group(1)
    scores = {f"score:{c}": "3" for c in ("feasibility", "quality", "impact", "resources")}
    await client.post(
        f"{review_url}/submit", data={"csrf_token": csrf_r, "comment": "Fine.", **scores}
    )
    page = await client.get(url, headers=HTML)
    # A reviewer is not the director: no decision button, the page says who decides.
    assert "Record the decision" not in _buttons(page.text)
    assert "director" in _text(page.text, "director-decides")
    assert "decision of the computing centre's director" in _text(page.text, "next-actor")
    await login(client, "admin@factory.eu")
    assert "Record the decision" in _buttons((await client.get(url, headers=HTML)).text)


async def test_review_form_waits_for_the_assessment_to_start(client, db):
    await _setup(client, db)
    csrf = await login(client, "pi@web.example")
    url = (await client.post("/applications/new", data=_form(csrf), headers=HTML)).headers[
        "location"
    ]
    await client.post(f"{url}/submit", data={"csrf_token": csrf}, headers=HTML)
    csrf_a = await login(client, "admin@factory.eu")
    await client.post(
        f"{url}/assign",
        data={"csrf_token": csrf_a, "reviewer": "rev@factory.eu", "step": "technical"},
        headers=HTML,
    )
    await login(client, "rev@factory.eu")
    queue = await client.get("/staff/reviews", headers=HTML)
    review_url = re.search(r'href="(/staff/reviews/\d+)"', queue.text).group(1)
    form = await client.get(review_url, headers=HTML)
    # No form that would be refused: it opens once staff start the assessment.
    assert 'id="review-form"' not in form.text and 'id="review-waiting"' in form.text
    assert 'id="conflict-form"' in form.text
    csrf_a = await login(client, "admin@factory.eu")
    await client.post(f"{url}/assess", data={"csrf_token": csrf_a}, headers=HTML)
    await login(client, "rev@factory.eu")
    assert 'id="review-form"' in (await client.get(review_url, headers=HTML)).text


def test_built_in_mode_texts_are_translated():
    fr = i18n.translations("fr")
    texts = [t for s in parse_modes(None) for t in (s.name, s.description)]
    assert sorted(texts) == sorted(MODE_TEXTS)
    for spec in parse_modes(None):
        assert fr.gettext(spec.description) != spec.description, spec.slug
    assert fr.gettext("National dynamic access") == "Accès dynamique national"
