"""Staff manage cluster logins from their page in a real browser (Chromium), on a phone-wide
window, in English and in French: map a login, read the refusal of a name that is no Unix
user of the host, find a login by filter and search, revoke it with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from ..browser_helpers import sign_in
from ..unix_users import missing_unix_name

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PAGE = "/staff/cluster-logins"
# What the page says, per language; the demo's one cluster is `local` (this host).
SAYS = {
    "en": {
        "locale": "en-GB",
        "quote": "'{}'",
        "user": "greta@gridwise.example",
        "not_unix": "is not a user on the host that submits to cluster 'local': create the "
        "Unix user there first, or check the spelling.",
        "mapped": "mapped for greta@gridwise.example on local",
        "no_reason": "Say why the login is revoked: the user reads the reason.",
        "approved": "approved",
        "revoked": "revoked",
        "revoked_flash": "Login revoked.",
    },
    "fr": {
        "locale": "fr-FR",
        "quote": "« {} »",
        "user": "farid@lumiere.example",
        "not_unix": "n'est pas un utilisateur de la machine qui soumet à la grappe « local » : "
        "créez d'abord l'utilisateur Unix sur cette machine, ou vérifiez l'orthographe.",
        "mapped": "attribué à farid@lumiere.example sur local",
        "no_reason": "Dites pourquoi l'identifiant est révoqué : l'utilisateur lit le motif.",
        "approved": "approuvé",
        "revoked": "révoqué",
        "revoked_flash": "Identifiant révoqué.",
    },
}


def _no_sideways_scroll(page: Any) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{page.url} is {wide} px wider than the 390 px window"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_staff_map_refuse_find_and_revoke_a_login(live_server, browser, make_unix_user, lang):
    says, url = SAYS[lang], live_server
    real, missing = make_unix_user(), missing_unix_name()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=says["locale"])
    page = context.new_page()
    try:
        if lang != "en":
            page.goto(f"{url}/lang/{lang}?next=/login")
        sign_in(page, url, "admin@aifhub.example")
        # reached from the staff navigation (behind the menu button on a phone)
        page.goto(f"{url}/")
        page.click(".menu-toggle")
        page.locator(f"nav.mainnav a[href='{PAGE}']").click()
        page.wait_for_url(f"{url}{PAGE}")
        assert page.locator("html").get_attribute("lang") == lang
        _no_sideways_scroll(page)

        # a name that is no Unix user of the host: refused beside the field, values kept
        page.fill("#f-user_email", says["user"])
        page.select_option("#f-cluster", "local")
        page.fill("#f-login", missing)
        page.click("#map-login button[type=submit]")
        quoted = says["quote"].format(missing)
        assert page.locator("#login-error").inner_text() == f"{quoted} {says['not_unix']}"
        assert page.input_value("#f-user_email") == says["user"]
        assert page.input_value("#f-login") == missing
        _no_sideways_scroll(page)

        # the real Unix user is mapped, approved at once
        page.fill("#f-login", real)
        page.click("#map-login button[type=submit]")
        page.wait_for_url(f"{url}{PAGE}")
        assert says["mapped"] in page.locator(".flash").inner_text()
        assert missing not in page.locator("#all-logins").inner_text()

        # found by a search on the login, with the state filter
        page.fill("#f-filter-q", real)
        page.select_option("#f-filter-status", "approved")
        page.click("#login-filters button[type=submit]")
        page.wait_for_url(f"{url}{PAGE}?*")
        rows = page.locator("#all-logins tbody tr")
        assert rows.count() == 1
        row = rows.first
        assert says["user"] in row.inner_text()
        assert row.locator(".state").inner_text() == says["approved"]
        row_id = row.get_attribute("id")
        assert row_id is not None
        login_id = row_id.removeprefix("login-")

        # revoking says why: an empty reason is refused beside the field
        row.locator("button[type=submit]").click()
        assert page.locator(f"#error-{login_id}").inner_text() == says["no_reason"]
        _no_sideways_scroll(page)
        page.fill(f"#revoke-{login_id}", "left the lab")
        page.locator(f"#login-{login_id} button[type=submit]").click()
        page.wait_for_url(f"{url}{PAGE}")
        assert says["revoked_flash"] in page.locator(".flash").inner_text()
        page.goto(f"{url}{PAGE}?status=revoked&q={real}")
        rows = page.locator("#all-logins tbody tr")
        assert rows.count() == 1
        assert rows.first.locator(".state").inner_text() == says["revoked"]
        assert "left the lab" in rows.first.inner_text()
        _no_sideways_scroll(page)
    finally:
        context.close()
