"""A demo PI goes dashboard -> project hub -> usage (chart, CSV) -> a recommendation's action,
in English and in French, and the hub fits a phone's width."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..browser_helpers import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PI = "alice@neuroscan.example"
SLUG = "brain-mri-seg"
TEXTS = {
    "en": {"hours": "Compute hours", "chart": "against its grant", "legend": "Used + reserved"},
    "fr": {
        "hours": "Heures de calcul",
        "chart": "par rapport à l'allocation",
        "legend": "Consommé + réservé",
    },
}


def _sign_in(page, url: str) -> None:
    sign_in(page, url, PI)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pi_walks_from_dashboard_through_the_hub(live_server, browser, artifacts_dir, lang):
    url = live_server
    texts = TEXTS[lang]
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", accept_downloads=True
    )
    page = context.new_page()
    _sign_in(page, url)
    if lang == "fr":  # the language switch of the header, as a person would
        page.click(".langs a[hreflang=fr]")
        page.wait_for_url(f"{url}/")
    assert page.locator("html").get_attribute("lang") == lang

    # dashboard -> the project's hub
    page.click(f"#my-projects a[href='/projects/{SLUG}']")
    page.wait_for_url(f"{url}/projects/{SLUG}")
    assert texts["hours"] in page.locator("#allocations h2").inner_text()
    for part in ("#allocations", "#jobs", "#data-requests", "#tickets", "#recommendations"):
        assert page.locator(part).is_visible(), part
    assert page.locator("#allocations tbody tr").count() >= 1  # the demo's active allocation
    page.screenshot(path=str(artifacts_dir / f"hub-project-{lang}.png"), full_page=True)

    # -> usage: the chart, then the CSV through its link
    page.click(f"#jobs a[href='/projects/{SLUG}/usage']")
    page.wait_for_url(f"{url}/projects/{SLUG}/usage")
    chart = page.locator("svg.chart[role=img]").first
    assert chart.is_visible()
    assert texts["chart"] in chart.locator("title").text_content()
    assert texts["legend"] in chart.inner_html()
    assert chart.locator("text.x-tick").count() >= 2 and chart.locator("text.y-tick").count() >= 2
    page.screenshot(path=str(artifacts_dir / f"hub-usage-{lang}.png"), full_page=True)
    with page.expect_download() as info:
        page.click(f"a[href='/api/v1/projects/{SLUG}/usage?format=csv']")
    download = info.value
    assert download.suggested_filename == f"{SLUG}-usage.csv"
    assert Path(download.path()).read_text().startswith("day,allocation_id,partition")

    # back to the hub -> its recommendations -> the action of one of them
    page.go_back()
    page.wait_for_url(f"{url}/projects/{SLUG}")
    page.click(f"#recommendations a[href='/projects/{SLUG}/recommendations']")
    page.wait_for_url(f"{url}/projects/{SLUG}/recommendations")
    action = page.locator(".rec-item a.button").first
    target = action.get_attribute("href")
    assert target
    with page.expect_navigation() as nav:
        action.click()
    assert nav.value is not None and nav.value.status == 200, target
    assert page.url.startswith(url + target.split("#")[0]), (page.url, target)
    assert page.locator("h1").count() == 1
    context.close()


def test_hub_fits_a_phone(live_server, browser):
    url = live_server
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, url)
    for path in (f"/projects/{SLUG}", f"/projects/{SLUG}/usage"):
        page.goto(f"{url}{path}")
        wide = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert wide, f"{path} overflows a 390 px screen"
    context.close()
