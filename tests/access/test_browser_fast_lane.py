"""In a real browser, in English and in French: a newcomer applies to Fast Lane by typing into
the form, staff move the application along with the buttons the page offers, two reviewers
submit, staff decide, the applicant sees the allocation. And a Playground newcomer is granted
at once (the demo decides Playground automatically)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from ..browser_helpers import register_and_sign_in, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ADMIN, REVIEWER, EXPERT = "admin@aifhub.example", "reviewer@aifhub.example", "expert@aifhub.example"

# What the pages say, per language (the journey asserts the words a person reads).
WORDS = {
    "en-GB": {
        "waiting_start": "Waiting for the factory's staff to start the technical assessment",
        "waiting_review": "Waiting for a technical review by the factory's staff (0 of 1 in)",
        "waiting_decision": "Waiting for the decision of the factory's staff",
        "ready": "Your allocation is ready",
        "allocated": "allocated",
        "start": "Start the assessment",
        "assign": "Assign reviewers",
        "decide": "Record the decision",
        "auto": "Decided automatically by the platform",
        "granted": "Submitted and granted at once",
        "feasibility": "Technical feasibility",
    },
    "fr-FR": {
        "waiting_start": "En attente du démarrage de l’évaluation technique",
        "waiting_review": "En attente d’une évaluation technique",
        "waiting_decision": "En attente de la décision de l’équipe de la fabrique",
        "ready": "Votre allocation est prête",
        "allocated": "allouée",
        "start": "Démarrer l’évaluation",
        "assign": "Désigner les évaluateurs",
        "decide": "Enregistrer la décision",
        "auto": "Décision automatique de la plateforme",
        "granted": "Soumise et accordée aussitôt",
        "feasibility": "Faisabilité technique",
    },
}


def _shot(page, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"access-{name}.png"), full_page=True)


def _sign_in(browser, url: str, email: str, locale: str):
    page = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, url, email)
    lang = locale[:2]
    if page.locator("html").get_attribute("lang") != lang:
        # A demo account keeps the language it chose: switch as a person would.
        page.click(f".langs a[hreflang={lang}]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == lang
    return page


def _newcomer(browser, url: str, locale: str, mail, *, kind: str, country: str, tag: str):
    """Register, create an organisation and a project, typing like a person; the page."""
    page = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}).new_page()
    register_and_sign_in(
        page,
        url,
        mail,
        name="Zoé Lefèvre",
        email=f"zoe-{tag}@newcomer.example",
        password="zoé's long password",
    )
    page.goto(f"{url}/organisations/new")
    page.fill("#f-name", f"Éolienne Étoile {tag}")
    page.fill("#f-slug", f"eolienne-{tag}")
    page.select_option("#f-kind", kind)
    page.select_option("#f-country", country)
    page.check("input[name=sectors][value=energy]")
    page.click("form[action='/organisations/new'] button[type=submit]")
    page.wait_for_url(f"{url}/organisations/eolienne-{tag}")
    page.goto(f"{url}/projects/new")
    page.fill("#f-name", "Prévision de production éolienne")
    page.fill("#f-slug", f"prevision-{tag}")
    page.select_option("#f-organisation", f"eolienne-{tag}")
    page.select_option("#f-sector", "energy")
    page.fill("#f-description", "Séries temporelles de 300 éoliennes.")
    page.click("form[action='/projects/new'] button[type=submit]")
    page.wait_for_url(f"{url}/projects/prevision-{tag}")
    return page


def _apply(page, url: str, *, tag: str, mode: str, title: str, months: str, hours: str) -> str:
    """Fill the application form (multi-line text typed with Enter), save, submit; its URL."""
    page.goto(f"{url}/applications/new")
    page.select_option("#f-project", f"prevision-{tag}")
    page.select_option("#f-mode", mode)
    page.fill("#f-title", title)
    page.select_option("#f-sector", "energy")
    page.fill("#f-duration_months", months)
    page.select_option("select[name=partition_1]", "local/gpu")
    page.fill("input[name=amount_1]", hours)
    page.click("#f-technical_description")
    page.keyboard.type("Entraînement d'un transformeur temporel sur 4 GPU.")
    page.keyboard.press("Enter")
    page.keyboard.type("Deuxième ligne : 200 essais de 6 h, données agrégées à l'heure.")
    page.click("#f-datasets_models")
    page.keyboard.type("Mesures SCADA (anonymisées)")
    page.keyboard.press("Enter")
    page.keyboard.type("Météo-France ARPEGE")
    page.click("form[action='/applications/new'] button[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(url)}/applications/\d+$"))
    app_url = page.url
    assert "Deuxième ligne" in page.locator("main").inner_text()
    page.click(f"form[action='{app_url.removeprefix(url)}/submit'] button")
    page.wait_for_url(app_url)
    return app_url


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_fast_lane_from_application_to_allocation(
    live_server, browser, artifacts_dir, tmp_path_factory, locale
):
    url, words, tag = live_server, WORDS[locale], f"{locale[:2]}{uuid.uuid4().hex[:6]}"
    title = f"Prévision éolienne à l'échelle européenne {tag}"
    applicant = _newcomer(
        browser, url, locale, tmp_path_factory, kind="startup", country="FR", tag=tag
    )
    app_url = _apply(
        applicant, url, tag=tag, mode="fast-lane", title=title, months="2", hours="1200"
    )
    path = app_url.removeprefix(url)
    assert words["waiting_start"] in applicant.locator("#next-actor").inner_text()
    _shot(applicant, artifacts_dir, f"fast-lane-waiting-{locale}")

    # Staff: the next step is a button each time; no refusal along the way.
    staff = _sign_in(browser, url, ADMIN, locale)
    staff.goto(app_url)
    _shot(staff, artifacts_dir, f"fast-lane-checked-{locale}")
    staff.click(f'#start-assessment:has-text("{words["start"]}")')
    staff.wait_for_url(app_url)
    assert staff.locator(".flash-error").count() == 0
    assert staff.locator("#send-to-peer-review").count() == 0  # Fast Lane: no peer review
    for reviewer in (REVIEWER, EXPERT):
        staff.fill("#f-reviewer", reviewer)
        staff.click(f'#assign-reviewer:has-text("{words["assign"]}")')
        staff.wait_for_url(app_url)
        assert staff.locator(".flash-error").count() == 0
    assert reviewer in staff.locator("#reviews").inner_text()
    _shot(staff, artifacts_dir, f"fast-lane-staff-{locale}")
    applicant.reload()
    assert words["waiting_review"] in applicant.locator("#next-actor").inner_text()

    # Two reviewers find it in their queue by its number and submit.
    number = path.rsplit("/", 1)[1]
    for email, score in ((REVIEWER, "4"), (EXPERT, "5")):
        rev = _sign_in(browser, url, email, locale)
        rev.goto(f"{url}/staff/reviews")
        row = rev.locator("tr", has_text=title)
        assert f"#{number}" in row.inner_text()
        row.locator("a").click()
        assert words["feasibility"] in rev.locator("#review-form").inner_text()
        for criterion in ("feasibility", "quality", "impact", "resources"):
            rev.select_option(f"select[name='score:{criterion}']", score)
        rev.click("#f-comment")
        rev.keyboard.type("Plan réaliste ; données déjà préparées.")
        rev.keyboard.press("Enter")
        rev.keyboard.type("Réduire à 1 000 heures suffirait.")
        rev.click("#review-form button[type=submit]")
        rev.wait_for_load_state()
        assert rev.locator(".flash-error").count() == 0
        assert rev.locator("#review-form").count() == 0
        _shot(rev, artifacts_dir, f"fast-lane-review-{locale}")
        rev.context.close()

    applicant.reload()
    assert words["waiting_decision"] in applicant.locator("#next-actor").inner_text()
    staff.reload()
    staff.fill("input[name='granted:local/gpu']", "1000")
    staff.select_option("#f-outcome", "accept")
    staff.fill("#f-decision-reason", "Plan solide ; 1 000 heures suffisent à l'étude.")
    staff.click(f'#record-decision:has-text("{words["decide"]}")')
    staff.wait_for_url(app_url)
    assert staff.locator(".flash-error").count() == 0
    staff.context.close()

    applicant.reload()
    assert words["ready"] in applicant.locator("#next-actor").inner_text()
    assert applicant.locator("#state").inner_text() == words["allocated"]
    assert "1 000 heures suffisent" in applicant.locator("main").inner_text()
    _shot(applicant, artifacts_dir, f"fast-lane-allocated-{locale}")
    applicant.click("#next-actor a")
    applicant.wait_for_url(f"{url}/allocations")
    row = applicant.locator("tr", has_text=f"prevision-{tag}")
    cells = row.inner_text()
    assert "local/gpu" in cells and re.search(r"1[\s,\u202f\u00a0.]?000", cells)
    applicant.context.close()


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_playground_newcomer_is_granted_at_once(
    live_server, browser, artifacts_dir, tmp_path_factory, locale
):
    url, words, tag = live_server, WORDS[locale], f"pg{locale[:2]}{uuid.uuid4().hex[:6]}"
    page = _newcomer(browser, url, locale, tmp_path_factory, kind="sme", country="DE", tag=tag)
    _apply(
        page, url, tag=tag, mode="playground", title=f"Premiers pas {tag}", months="1", hours="300"
    )
    assert page.locator("#state").inner_text() == words["allocated"]
    assert words["granted"] in page.locator(".flash-success").inner_text()
    assert words["auto"] in page.locator("#decided-by").inner_text()
    assert words["ready"] in page.locator("#next-actor").inner_text()
    _shot(page, artifacts_dir, f"playground-granted-{locale}")
    page.goto(f"{url}/allocations")
    row = page.locator("tr", has_text=f"prevision-{tag}")
    assert "local/gpu" in row.inner_text() and "300" in row.inner_text()
    page.context.close()
