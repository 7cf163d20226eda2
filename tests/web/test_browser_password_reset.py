"""In a real browser, in English and French: forgot the password, mailed link, new password."""

from __future__ import annotations

import pytest

from ..browser_helpers import mailed_link

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TEXTS = {
    "en-GB": {
        "sent": "Check your mailbox",
        "forgot": "Forgot your password?",
        "if_exists": "If an account exists for",
        "changed": "Your password is changed",
        "invalid": "not valid any more",
        "wrong": "Wrong e-mail or password.",
    },
    "fr-FR": {
        "sent": "Consultez votre messagerie",
        "forgot": "Mot de passe oublié ?",
        "if_exists": "Si un compte existe pour",
        "changed": "Votre mot de passe est changé",
        "invalid": "n’est plus valable",
        "wrong": "Courriel ou mot de passe incorrect.",
    },
}


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_forgotten_password_is_reset_by_the_mailed_link(
    live_server, browser, artifacts_dir, tmp_path_factory, locale
):
    url = live_server
    texts = TEXTS[locale]
    email = f"forgetful-{locale.lower()}@reset.example"
    old, new = "the first long password", "a fresh passphrase, é è"
    page = browser.new_context(locale=locale).new_page()

    page.goto(f"{url}/register")
    page.fill("#f-name", "Élodie Forgetful")
    page.fill("#f-email", email)
    page.fill("#f-password", old)
    page.fill("#f-password2", old)
    page.click("form[action='/register'] button[type=submit]")
    assert texts["sent"] in page.locator("h1").inner_text()

    page.goto(f"{url}/login")
    link = page.locator("#forgot-link")
    assert link.inner_text() == texts["forgot"]
    link.click()
    page.wait_for_url(f"{url}/password/forgot")
    page.fill("#f-email", email)
    page.keyboard.press("Enter")
    assert texts["if_exists"] in page.locator("#reset-sent").inner_text()
    page.screenshot(path=str(artifacts_dir / f"web-password-forgot-{locale}.png"), full_page=True)

    mailed = mailed_link(tmp_path_factory, email, "user.password_reset", url)
    page.goto(mailed)
    page.fill("#f-password", new)
    page.fill("#f-password2", new)
    page.screenshot(path=str(artifacts_dir / f"web-password-reset-{locale}.png"), full_page=True)
    page.click("form[action='/password/reset'] button[type=submit]")
    page.wait_for_url(f"{url}/login")
    assert texts["changed"] in page.locator(".flash-success").inner_text()

    # The link served once.
    again = browser.new_context(locale=locale).new_page()
    again.goto(mailed)
    assert texts["invalid"] in again.locator(".flash-error").inner_text()

    page.fill("#f-email", email)
    page.fill("#f-password", old)
    page.click("form[action='/login'] button[type=submit]")
    assert page.locator(".flash-error").inner_text() == texts["wrong"]
    page.fill("#f-password", new)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/")
    assert "Élodie Forgetful" in page.content()
