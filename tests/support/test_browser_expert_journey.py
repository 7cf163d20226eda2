"""In a real browser, in English and French: a user's ticket goes to an expert and is rated.

The user opens a ticket (accented title, a description typed over several lines, a log file
chosen in the file input); the support desk routes it to one of the experts it proposes; that
expert answers from their ticket list and resolves it; the user rates the answer.
"""

from __future__ import annotations

import pytest

from aifhub.support.demo import EXPERTS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DEMO_PASSWORD = "demo-password"
REQUESTER = "alice@neuroscan.example"
DESK = "support@aifhub.example"
EXPERT_EMAILS = {name: email for email, name, *_ in EXPERTS}

TEXTS = {
    "en": {
        "new": "New ticket",
        "opened": "opened",
        "saved": "Saved.",
        "rate": "Rate the help",
        "assigned": "assigned",
        "resolved": "resolved",
    },
    "fr": {
        "new": "Nouveau ticket",
        "opened": "ouvert",
        "saved": "Enregistré.",
        "rate": "Notez",
        "assigned": "assigné",
        "resolved": "résolu",
    },
}


def _persona(browser, url: str, locale: str, email: str):
    """A browser of its own for one person, in the language of the journey, signed in."""
    lang = locale[:2]
    page = browser.new_context(locale=locale).new_page()
    page.goto(f"{url}/lang/{lang}?next=/login")
    page.fill("#f-email", email)
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_ticket_routed_to_an_expert_answered_and_rated(
    live_server, browser, artifacts_dir, tmp_path, locale
):
    url, lang = live_server, locale[:2]
    texts = TEXTS[lang]
    title = f"Entraînement interrompu sur le nœud GPU ({locale})"
    log = tmp_path / "train.log"
    log.write_text("epoch 3: RuntimeError: CUDA out of memory (GPU 0; 80 GiB)\n")

    # The user opens the ticket.
    user = _persona(browser, url, locale, REQUESTER)
    user.goto(f"{url}/support/new")
    assert user.locator("h1").inner_text() == texts["new"]
    user.select_option("#f-project", "brain-mri-seg")
    user.fill("#f-title", title)
    user.click("#f-body")
    user.keyboard.type("Le job s'arrête à l'époque 3 sur 4 GPU.")
    user.keyboard.press("Enter")
    user.keyboard.type("Attendu : l'entraînement complet du 3D U-Net.")
    user.select_option("#f-category", "performance")
    user.select_option("#f-priority", "high")
    user.set_input_files("#f-files", str(log))
    user.click("form[action='/support/new'] button[type=submit]")
    user.wait_for_url(f"{url}/support/tickets/*")
    ticket_url = user.url
    assert texts["opened"] in user.locator(".flash-success").inner_text()
    assert user.locator("h1").inner_text().endswith(title)
    thread = user.locator("article.message").first
    assert "sur 4 GPU.\nAttendu : l'entraînement complet" in thread.inner_text()
    assert thread.locator("a", has_text="train.log").count() == 1
    user.screenshot(path=str(artifacts_dir / f"support-journey-ticket-{lang}.png"), full_page=True)

    # The desk routes it to the first expert proposed.
    desk = _persona(browser, url, locale, DESK)
    desk.goto(f"{url}/support/desk")
    desk.locator("a", has_text=title).first.click()
    desk.wait_for_url(ticket_url)
    first = desk.locator("form[action$='/assign']").first
    expert_name = first.locator("strong").inner_text()
    assert expert_name in EXPERT_EMAILS, expert_name
    first.locator("button").click()
    desk.wait_for_url(ticket_url)
    assert desk.locator(".flash-success").inner_text() == texts["saved"]
    assert texts["assigned"] in desk.locator(".page-head .badge").first.inner_text()

    # The expert finds it in their list, answers and resolves it.
    expert = _persona(browser, url, locale, EXPERT_EMAILS[expert_name])
    expert.goto(f"{url}/support")
    expert.locator("a", has_text=title).first.click()
    expert.wait_for_url(ticket_url)
    expert.click("#f-reply")
    expert.keyboard.type("Réduisez la taille de lot à 2 par GPU.")
    expert.keyboard.press("Enter")
    expert.keyboard.type("Puis activez le checkpointing des activations.")
    expert.click(f"form[action='{ticket_url[len(url) :]}/reply'] button[type=submit]")
    expert.wait_for_url(ticket_url)
    expert.locator("form[action$='/move']:has(input[value='resolved']) button").click()
    expert.wait_for_url(ticket_url)
    assert texts["resolved"] in expert.locator(".page-head .badge").first.inner_text()

    # The user reads the answer and rates it.
    user.goto(ticket_url)
    answer = user.locator("article.message").nth(1)
    assert expert_name in answer.inner_text()
    assert "2 par GPU.\nPuis activez" in answer.inner_text()
    assert texts["rate"] in user.locator("aside").inner_text()
    user.select_option("select[name=rating]", "5")
    user.fill("input[name=comment]", "Merci, ça tourne à présent !")
    user.click("form[action$='/rate'] button[type=submit]")
    user.wait_for_url(ticket_url)
    assert user.locator(".flash-success").inner_text() == texts["saved"]
    assert user.locator("select[name=rating]").input_value() == "5"
    assert user.locator("input[name=comment]").input_value() == "Merci, ça tourne à présent !"
    user.screenshot(path=str(artifacts_dir / f"support-journey-rated-{lang}.png"), full_page=True)
