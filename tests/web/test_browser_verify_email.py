"""In a real browser: a new account signs in, and accepts an invitation, once its link is opened."""

from __future__ import annotations

import pytest

from ..browser_helpers import mailed_link, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NEWCOMER = "carol@verify.example"


def test_verify_then_accept_the_invitation(live_server, browser, artifacts_dir, tmp_path_factory):
    url = live_server
    owner = browser.new_context(locale="en-GB").new_page()
    sign_in(owner, url, "alice@neuroscan.example")
    owner.goto(f"{url}/organisations/neuroscan")
    assert owner.locator("#add-member").count() == 0  # nobody is added without consent
    owner.fill("#invite-email", NEWCOMER)
    owner.click("#invite button[type=submit]")
    assert f"Invitation sent to {NEWCOMER}." in owner.content()

    page = browser.new_context(locale="en-GB").new_page()
    page.goto(f"{url}/register")
    page.fill("#f-name", "Carol")
    page.fill("#f-email", NEWCOMER)
    page.fill("#f-password", "carol's long password")
    page.fill("#f-password2", "carol's long password")
    page.click("form[action='/register'] button[type=submit]")
    assert "Check your mailbox" in page.locator("h1").inner_text()
    assert f"We sent a message to {NEWCOMER}" in page.locator("#register-sent").inner_text()
    # Before the address is confirmed, the password opens nothing (and sends a new link).
    page.goto(f"{url}/login")
    page.fill("#f-email", NEWCOMER)
    page.fill("#f-password", "carol's long password")
    page.click("form[action='/login'] button[type=submit]")
    assert "Confirm your e-mail address before signing in" in page.content()
    page.screenshot(path=str(artifacts_dir / "web-verify-email.png"), full_page=True)

    page.goto(mailed_link(tmp_path_factory, NEWCOMER, "user.verify_email", url))
    page.wait_for_url(f"{url}/login")
    assert "is verified" in page.locator(".flash-success").inner_text()
    page.fill("#f-email", NEWCOMER)
    page.fill("#f-password", "carol's long password")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/account")
    assert "verified" in page.locator("#email-state").inner_text()
    page.goto(f"{url}/")
    page.click("#invitations button[type=submit]")
    page.wait_for_url(f"{url}/")
    assert "Invitation accepted" in page.locator(".flash-success").inner_text()
    assert "NeuroScan" in page.locator("#my-organisations").inner_text()
