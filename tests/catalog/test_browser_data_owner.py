"""A data owner's journey in a real browser, in English and in French: publish a gated dataset
with a file, another user requests it, the owner approves from the pending list, the requester
accepts the terms and downloads the file, the owner reads the download in the access log."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from ..browser_helpers import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

OWNER = "eve@lumiere.example"  # owner of Laboratoire Lumière IA (identity demo)
REQUESTER = "greta@gridwise.example"  # PI of the project ev-demand of GridWise Energy
DATA = "station,kwh\nlyon-part-dieu,12.5\nnîmes-centre,7.25\n".encode()
WORDS = {
    "en": {
        "waiting": "Waiting for the owner's approval",
        "approved": "Approved: accept the terms to get access",
        "access": "You have access",
        "downloaded": "Downloaded",
    },
    "fr": {
        "waiting": "En attente de l'approbation du propriétaire",
        "approved": "Approuvée : acceptez les conditions pour obtenir l'accès",
        "access": "Vous avez accès",
        "downloaded": "Téléchargé",
    },
}


def _sign_in(browser, url: str, locale: str, email: str):
    """A new browser (its own cookies) in this locale, language chosen, signed in."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    lang = locale[:2]
    sign_in(page, url, email)
    # The account's language (English for the demo users) wins over the browser's: switch.
    switch = page.locator(f".langs a[hreflang={lang}]")
    if switch.count():  # the language shown is not a link
        switch.click()
        page.wait_for_url(f"{url}/")
    assert page.locator("html").get_attribute("lang") == lang
    return page


def _type_lines(page, selector: str, lines: list[str]) -> None:
    page.click(selector)
    for i, line in enumerate(lines):
        if i:
            page.keyboard.press("Enter")
        page.keyboard.type(line)


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_data_owner_journey(live_server, browser, artifacts_dir: Path, tmp_path, locale):
    url = live_server
    lang = locale[:2]
    words = WORDS[lang]
    name = f"archives-{lang}-{secrets.token_hex(3)}"
    slug = f"lab-lumiere/{name}"
    title = f"Relevés de bornes électriques — édition {lang}"

    # The owner describes a gated dataset, typing into the form, with two questions.
    owner = _sign_in(browser, url, locale, OWNER)
    owner.goto(f"{url}/catalog")
    owner.click("a[href='/catalog/new']")
    owner.wait_for_url(f"{url}/catalog/new")
    owner.select_option("#f-organisation", "lab-lumiere")
    owner.select_option("#f-kind", "dataset")
    owner.fill("#f-name", title)
    owner.fill("#f-slug", name)
    owner.fill("#f-summary", "Relevés horaires anonymisés de bornes de recharge.")
    owner.fill("#f-license", "cc-by-4.0")
    owner.select_option("#f-access_policy", "gated")
    _type_lines(owner, "#f-questions", ["Votre laboratoire", "Comité d'éthique consulté"])
    owner.click("#new-asset button[type=submit]")
    owner.wait_for_url(f"{url}/catalog/{slug}")
    assert owner.locator("h1").inner_text() == title
    # A file through the file input, then the version is published.
    sample = tmp_path / "releves.csv"
    sample.write_bytes(DATA)
    owner.set_input_files("#f-file", str(sample))
    owner.click("#upload button[type=submit]")
    owner.wait_for_url(f"{url}/catalog/{slug}")
    assert "releves.csv" in owner.locator("#versions").inner_text()
    owner.click(f"form[action='/catalog/{slug}/versions/v1/publish'] button")
    owner.wait_for_url(f"{url}/catalog/{slug}")
    owner.screenshot(path=str(artifacts_dir / f"catalog-owner-asset-{lang}.png"), full_page=True)

    # Another user requests access for their project, the purpose on two lines.
    req = _sign_in(browser, url, locale, REQUESTER)
    req.goto(f"{url}/catalog/{slug}")
    req.select_option("#f-project", "ev-demand")
    _type_lines(req, "#f-purpose", ["Prévoir la demande de recharge.", "Ligne deux : évaluation."])
    req.fill("#q-q1", "Équipe prévision")
    req.fill("#q-q2", "Oui, avis favorable")
    req.click("#request-form button[type=submit]")
    req.wait_for_url(f"{url}/catalog/{slug}")
    assert words["waiting"] in req.locator("#access").inner_text()

    # The owner approves from the pending list, reading the purpose and the answers.
    owner.goto(f"{url}/catalog/{slug}")
    owner.click("#access-requests a[href='/catalog/requests']")
    owner.wait_for_url(f"{url}/catalog/requests")
    card = owner.locator(".pending-request", has_text=title)
    shown = card.inner_text()
    assert "Prévoir la demande de recharge.\nLigne deux : évaluation." in shown
    for answer in ("Votre laboratoire", "Équipe prévision", "Comité d'éthique consulté",
                   "Oui, avis favorable", "GridWise Energy", REQUESTER):  # fmt: skip
        assert answer in shown, answer
    owner.screenshot(path=str(artifacts_dir / f"catalog-requests-{lang}.png"), full_page=True)
    card.locator("form[action$='/agree'] button").click()
    owner.wait_for_url(f"{url}/catalog/requests")
    assert owner.locator(".pending-request", has_text=title).count() == 0

    # The requester accepts the terms, has access, and downloads the file.
    req.reload()
    assert words["approved"] in req.locator("#access").inner_text()
    req.click("#access form[action$='/finalize'] button")
    req.wait_for_url(f"{url}/catalog/{slug}")
    assert words["access"] in req.locator("#your-access").inner_text()
    assert req.locator("#request-form").count() == 0
    req.screenshot(path=str(artifacts_dir / f"catalog-access-{lang}.png"), full_page=True)
    with req.expect_download() as info:
        req.click("#versions a.download")
    download = info.value
    assert download.suggested_filename == "releves.csv"
    assert Path(download.path()).read_bytes() == DATA

    # The owner sees the download in the access log.
    owner.goto(f"{url}/catalog/{slug}")
    owner.click(f"a[href='/catalog/{slug}/access-log']")
    owner.wait_for_url(f"{url}/catalog/{slug}/access-log")
    log = owner.locator("#access-log").inner_text()
    assert REQUESTER in log and "releves.csv" in log and words["downloaded"] in log
    assert "ev-demand" in log
    owner.screenshot(path=str(artifacts_dir / f"catalog-access-log-{lang}.png"), full_page=True)
    # At 390 px wide, nothing of these pages overflows sideways.
    for page, path in ((req, f"/catalog/{slug}"), (owner, f"/catalog/{slug}/access-log"),
                       (owner, "/catalog/requests"), (owner, "/catalog")):  # fmt: skip
        page.set_viewport_size({"width": 390, "height": 800})
        page.goto(f"{url}{path}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, (path, wide)
    owner.context.close()
    req.context.close()
