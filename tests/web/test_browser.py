"""The pages in a real browser (Chromium) against a real server with the demo data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ..browser_helpers import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DEMO_PASSWORD = "demo-password"


def _shot(page, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"web-{name}.png"), full_page=True)


def test_user_journey_in_the_browser(live_server, browser, artifacts_dir):
    url = live_server
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())

    page.goto(f"{url}/register")
    _shot(page, artifacts_dir, "register")
    page.goto(f"{url}/projects")
    assert page.url.startswith(f"{url}/login")
    _shot(page, artifacts_dir, "login")
    page.fill("#f-email", "alice@neuroscan.example")
    page.fill("#f-password", "wrong password")
    page.click("form[action='/login'] button[type=submit]")
    assert page.locator(".flash-error").inner_text() == "Wrong e-mail or password."
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/projects")

    page.goto(f"{url}/")
    assert "Brain MRI segmentation" in page.locator("#my-projects").inner_text()
    assert "NeuroScan Health" in page.locator("#my-organisations").inner_text()
    _shot(page, artifacts_dir, "dashboard")

    # create an organisation (with a bad slug first: inline error, then fixed)
    page.click("text=New organisation")
    page.fill("#f-name", "Quantix Labs")
    page.fill("#f-slug", "Quantix Labs")
    page.select_option("#f-kind", "sme")
    page.select_option("#f-country", "DE")
    page.check("input[name=sectors][value=materials]")
    page.check("input[name=sectors][value=energy]")
    page.click("form[action='/organisations/new'] button[type=submit]")
    assert "Use lowercase letters" in page.locator("#slug-error").inner_text()
    _shot(page, artifacts_dir, "org-new-error")
    page.fill("#f-slug", "quantix")
    page.click("form[action='/organisations/new'] button[type=submit]")
    page.wait_for_url(f"{url}/organisations/quantix")
    assert "Organisation Quantix Labs created." in page.locator(".flash-success").inner_text()

    # invite a member
    page.fill("#invite-email", "newcomer@example.eu")
    page.click("#invite button[type=submit]")
    page.wait_for_url(f"{url}/organisations/quantix")
    assert "Invitation sent to newcomer@example.eu." in page.content()
    # Nadia joins by accepting an invitation (nobody is added without consent).
    page.fill("#invite-email", "nadia@neuroscan.example")
    page.click("#invite button[type=submit]")
    page.wait_for_url(f"{url}/organisations/quantix")
    nadia = browser.new_context(locale="en-GB").new_page()
    sign_in(nadia, url, "nadia@neuroscan.example")
    nadia.locator("#invitations li", has_text="quantix").locator("button").click()
    nadia.wait_for_url(f"{url}/")
    assert "Invitation accepted" in nadia.locator(".flash-success").inner_text()
    nadia.context.close()
    page.reload()
    _shot(page, artifacts_dir, "organisation")

    # open a project
    page.click("text=New project")
    page.fill("#f-name", "Battery materials discovery")
    page.fill("#f-slug", "battery-ml")
    page.select_option("#f-organisation", "quantix")
    page.select_option("#f-sector", "materials")
    page.fill("#f-description", "Graph networks to screen cathode materials.")
    page.click("form[action='/projects/new'] button[type=submit]")
    page.wait_for_url(f"{url}/projects/battery-ml")
    page.fill("#f-email", "nadia@neuroscan.example")
    page.click("#add-member button[type=submit]")
    page.wait_for_url(f"{url}/projects/battery-ml")
    # HTMX role change: the row is swapped in place, no page load
    row = page.locator("tr", has_text="nadia@neuroscan.example")
    row.locator("select[name=role]").select_option("manager")
    row.locator("button", has_text="Change").click()
    # A selector wait, not wait_for_function: the page's CSP forbids the eval that its polling
    # needs when the swap is not there at once (a loaded machine).
    page.wait_for_selector(
        "tr[id^=member-] select option[value=manager][selected]", state="attached"
    )
    assert page.url == f"{url}/projects/battery-ml"
    # the last PI cannot step down: the error shows in the row
    me = page.locator("tr", has_text="alice@neuroscan.example")
    me.locator("select[name=role]").select_option("member")
    me.locator("button", has_text="Change").click()
    page.wait_for_selector("tr .field-error")
    assert "last PI" in page.locator("tr .field-error").inner_text()
    _shot(page, artifacts_dir, "project")
    page.click("nav.mainnav >> text=Projects")
    assert page.locator("table").inner_text().count("battery-ml") == 1
    _shot(page, artifacts_dir, "projects")
    page.click("nav.mainnav >> text=Organisations")
    assert "Quantix Labs" in page.locator("table").inner_text()
    _shot(page, artifacts_dir, "organisations")

    # switch to French
    page.click(".langs a[hreflang=fr]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    page.goto(f"{url}/")
    assert "Mes projets" in page.content()
    _shot(page, artifacts_dir, "dashboard-fr")
    page.goto(f"{url}/projects/battery-ml")
    assert "Porteur de projet" in page.content()
    _shot(page, artifacts_dir, "project-fr")
    page.goto(f"{url}/projects/crop-yield")  # another organisation's project
    assert "Introuvable" in page.locator("h1").inner_text()
    _shot(page, artifacts_dir, "error-404-fr")

    # API token: create, see the secret once, revoke (HTMX, with confirmation)
    page.goto(f"{url}/account")
    page.fill("#f-token-name", "ordinateur portable")
    page.click("form[action='/account/tokens'] button[type=submit]")
    secret = page.locator("#new-token code.secret").inner_text()
    assert re.fullmatch(r"aifh_\S+", secret)
    _shot(page, artifacts_dir, "account-token")
    page.locator("tr", has_text="ordinateur portable").locator("button").click()
    page.wait_for_selector("tr:has-text('ordinateur portable') .badge.off")
    assert "révoqué" in page.locator("tr", has_text="ordinateur portable").inner_text()
    page.goto(f"{url}/lang/en?next=/account")

    # sign out, then the staff browse the audit log
    page.click("header form[action='/logout'] button")
    page.wait_for_url(f"{url}/login")
    sign_in(page, url, "admin@aifhub.example")
    page.click("nav.mainnav >> text=Audit log")
    page.wait_for_url(f"{url}/staff/audit")
    _shot(page, artifacts_dir, "audit")
    page.fill("#f-action", "org.create")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r".*action=org\.create.*"))
    assert "quantix" in page.locator("table").inner_text()
    page.goto(f"{url}/staff/users")
    _shot(page, artifacts_dir, "staff-users")
    context.close()


def test_forms_work_without_javascript(live_server, browser, artifacts_dir):
    url = live_server
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, url, "bruno@aerosim.example")
    page.goto(f"{url}/projects/cfd-surrogate")
    row = page.locator("tr", has_text="chloe@aerosim.example")
    row.locator("select[name=role]").select_option("manager")
    row.locator("button", has_text="Change").click()
    page.wait_for_url(f"{url}/projects/cfd-surrogate")
    assert "Role changed." in page.locator(".flash-success").inner_text()
    assert row.locator("option[value=manager]").get_attribute("selected") is not None
    context.close()
