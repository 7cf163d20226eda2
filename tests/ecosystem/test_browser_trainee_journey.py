"""In a real browser, in English and French: a trainee's way from a full course to a certificate.

Training staff schedule a session of one seat; someone takes it; the trainee enrols and lands
on the waiting list; the seat holder cancels and the trainee moves up; once the session has
run, staff tick the trainee's attendance on the roster page; the trainee opens the certificate.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DEMO_PASSWORD = "demo-password"
STAFF = "support@aifhub.example"
# (seat holder, trainee) per language: demo members, each on a session of their own.
PEOPLE = {
    "en": ("nadia@neuroscan.example", "farid@lumiere.example"),
    "fr": ("chloe@aerosim.example", "greta@gridwise.example"),
}
TEXTS = {
    "en": {
        "enrolled": "You are enrolled.",
        "waiting": "The session is full: you are on the waiting list.",
        "cancelled": "Enrolment cancelled.",
        "recorded": "Attendance recorded.",
        "certificates": "My certificates",
        "certificate": "Certificate of attendance",
        "roster": "Roster",
        "state_enrolled": "enrolled",
        "state_waitlisted": "waitlisted",
    },
    "fr": {
        "enrolled": "Vous êtes inscrit.",
        "waiting": "La session est complète : vous êtes sur la liste d'attente.",
        "cancelled": "Inscription annulée.",
        "recorded": "Présences enregistrées.",
        "certificates": "Mes attestations",
        "certificate": "Attestation de présence",
        "roster": "Liste des participants",
        "state_enrolled": "inscrit",
        "state_waitlisted": "en liste d'attente",
    },
}


def _persona(browser, url: str, locale: str, email: str):
    """A browser of its own for one person, in the language of the journey, signed in."""
    page = browser.new_context(locale=locale).new_page()
    page.goto(f"{url}/lang/{locale[:2]}?next=/login")
    page.fill("#f-email", email)
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def _schedule(url: str, slug: str, title: str) -> int:
    """Staff add a course with one upcoming session of a single seat (through the API)."""
    with httpx.Client(base_url=url) as http:
        r = http.post(
            "/api/v1/tokens/login",
            json={
                "email": STAFF,
                "password": DEMO_PASSWORD,
                "name": f"journey {slug}",
                "scopes": ["read", "write", "admin"],  # staff powers travel with 'admin'
            },
        )
        assert r.status_code == 201, r.text
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        r = http.post(
            "/api/v1/training/courses",
            json={"slug": slug, "title": title, "level": "beginner"},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        start = datetime.now(UTC) + timedelta(days=3)
        r = http.post(
            f"/api/v1/training/courses/{slug}/sessions",
            json={
                "format": "online",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=3)).isoformat(),
                "seats": 1,
            },
            headers=headers,
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def _the_session_has_run(tmp_path_factory: pytest.TempPathFactory, session_id: int) -> None:
    """Days pass: the session took place (its times moved into the past in the server's file)."""
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    now = datetime.now(UTC)
    for var in tmp_path_factory.getbasetemp().glob("live*"):
        db = var / "aifhub.db"
        if db.exists():
            with sqlite3.connect(db) as conn:
                done = conn.execute(
                    "UPDATE course_sessions SET starts_at = ?, ends_at = ? WHERE id = ?",
                    (
                        (now - timedelta(hours=4)).strftime(fmt),
                        (now - timedelta(hours=1)).strftime(fmt),
                        session_id,
                    ),
                )
                if done.rowcount == 1:
                    return
    raise AssertionError(f"no session {session_id} in the live server's database")


def _course_card(page, title: str):
    return page.locator("section.card", has=page.locator("h2", has_text=title))


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_waiting_list_to_certificate(live_server, browser, artifacts_dir, tmp_path_factory, locale):
    url, lang = live_server, locale[:2]
    texts = TEXTS[lang]
    holder_email, trainee_email = PEOPLE[lang]
    title = f"Prise en main des GPU — session « {lang} »"
    session_id = _schedule(url, f"gpu-onboarding-{lang}", title)

    holder = _persona(browser, url, locale, holder_email)
    holder.goto(f"{url}/training")
    _course_card(holder, title).locator("form[action$='/enrol'] button").click()
    holder.wait_for_url(f"{url}/training")
    assert holder.locator(".flash-success").inner_text() == texts["enrolled"]

    trainee = _persona(browser, url, locale, trainee_email)
    trainee.goto(f"{url}/training")
    card = _course_card(trainee, title)
    assert "1/1" in card.inner_text()
    card.locator("form[action$='/enrol'] button").click()
    trainee.wait_for_url(f"{url}/training")
    assert trainee.locator(".flash-success").inner_text() == texts["waiting"]
    assert (
        f"{texts['state_waitlisted']} #1"
        in _course_card(trainee, title).locator(".badge.ok").inner_text()
    )

    staff = _persona(browser, url, locale, STAFF)
    staff.goto(f"{url}/training")
    _course_card(staff, title).get_by_role("link", name=texts["roster"]).click()
    staff.wait_for_url(f"{url}/training/sessions/{session_id}/roster")
    rows = staff.locator("#roster tbody tr")
    assert (
        holder_email in rows.nth(0).inner_text()
        and texts["state_enrolled"] in rows.nth(0).inner_text()
    )
    assert (
        trainee_email in rows.nth(1).inner_text()
        and texts["state_waitlisted"] in rows.nth(1).inner_text()
    )

    # The seat frees: the trainee moves up.
    holder.goto(f"{url}/training")
    _course_card(holder, title).locator("form[action$='/cancel'] button").click()
    holder.wait_for_url(f"{url}/training")
    assert holder.locator(".flash-success").inner_text() == texts["cancelled"]
    trainee.goto(f"{url}/training")
    badge = _course_card(trainee, title).locator(".badge.ok").inner_text()
    assert badge.strip() == texts["state_enrolled"]

    # The session runs; staff record who attended.
    _the_session_has_run(tmp_path_factory, session_id)
    staff.reload()
    row = staff.locator("#roster tbody tr", has_text=trainee_email)
    row.locator("input[type=checkbox]").check()
    staff.locator("#roster button[type=submit]").click()
    staff.wait_for_url(f"{url}/training/sessions/{session_id}/roster")
    assert staff.locator(".flash-success").inner_text() == texts["recorded"]
    assert (
        staff.locator("#roster tbody tr", has_text=trainee_email)
        .locator("input[type=checkbox]")
        .is_checked()
    )
    staff.screenshot(path=str(artifacts_dir / f"training-roster-{lang}.png"), full_page=True)

    # The trainee opens the certificate.
    trainee.goto(f"{url}/training")
    certificates = trainee.locator("section.card", has_text=texts["certificates"])
    certificates.locator("a").last.click()
    trainee.wait_for_url(f"{url}/training/certificates/*")
    certificate = trainee.locator("article.certificate")
    assert certificate.locator("h1").inner_text() == texts["certificate"]
    assert title in certificate.inner_text()
    assert trainee_email.split("@")[0].title() in certificate.inner_text()
    trainee.screenshot(path=str(artifacts_dir / f"training-certificate-{lang}.png"), full_page=True)
