"""Every page, as each kind of user, on a desktop screen and on a phone: axe-core finds no
serious or critical accessibility violation, and no page is wider than a 390 px phone.

The pages are found by following the links of each user's pages from the dashboard (same-origin
GET links only), one page per route pattern; MUST_VISIT names the routes the crawl has to reach,
so that it cannot silently shrink. axe-core is the npm package pinned in tests/browser
(scripts/setup.sh --test installs it); it is added to each page by Playwright's init script,
which the Content-Security-Policy does not block, so the pages keep their real policy.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from ..browser_helpers import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
API_DOCS = "/api/v1/docs"

DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}

ALICE = "alice@neuroscan.example"
# (e-mail, who, browser locale): each kind of demo user. Bruno's pass is in French: it checks
# again, on a phone only (French words are longer), his dashboard and the pages it links to.
USERS = [
    (ALICE, "member, PI and data owner (NeuroScan)", "en-GB"),
    ("expert@aifhub.example", "staff expert", "en-GB"),
    ("admin@aifhub.example", "staff admin", "en-GB"),
    ("bruno@aerosim.example", "PI and data owner (AeroSim), in French", "fr-FR"),
]
# Pages no link leads to (yet) that a user reaches by address, and the crawl then starts from.
UNLINKED = {
    ALICE: ["/projects/brain-mri-seg/usage", "/support/articles/slurm-job-pending"],
}

# Route patterns the crawl must reach (signed in or out); each is checked on both screens.
MUST_VISIT = {
    "/",
    "/account",
    "/projects",
    "/projects/new",
    "/projects/{slug}",
    "/projects/{slug}/usage",
    "/organisations",
    "/organisations/new",
    "/organisations/{slug}",
    "/applications",
    "/applications/new",
    "/applications/{app_id}",
    "/allocations",
    "/jobs",
    "/jobs/new",
    "/jobs/{job_id}",
    "/cluster-logins",
    "/catalog",
    "/catalog/{ns}/{name}",
    "/support",
    "/support/new",
    "/support/tickets/{ticket_id}",
    "/support/articles/{slug}",
    "/support/desk",
    "/training",
    "/partners",
    "/talent",
    "/search",
    "/staff/access",
    "/staff/audit",
    "/staff/users",
    "/staff/reviews",
    "/staff/reviews/{review_id}",
    "/staff/network",
    "/staff/cluster-logins",
    "/login",
    "/register",
    API_DOCS,
}

# Links that are no pages to check: signing out, language switches, files, fragments of pages.
SKIP = re.compile(
    r"^/(?:logout|lang/|static/|apidocs/|auth/|favicon)|^/api/(?!v1/docs$)"
    r"|download|export|\.csv$|/log-tail$|/output/std(?:out|err)$|/suggest$|/certificates/"
)

SERIOUS = ("serious", "critical")

AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 4).map(n => n.target.join(' ')),
  }));
}"""

# The widest elements when a page overflows the screen, to name them in the failure message.
# (With is_mobile, Chromium zooms a too wide page out, so window.innerWidth grows with it: the
# limit is the screen's width in CSS pixels.)
OVERFLOW = """(screen) => {
  const w = Math.min(window.innerWidth, screen);
  if (document.documentElement.scrollWidth <= w) return null;
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + [...e.classList].map((c) => '.' + c).join('');
  const spills = (e) => getComputedStyle(e).overflowX === 'visible' && (
    e.getBoundingClientRect().right > w + 1 || e.scrollWidth > e.clientWidth + 1);
  const widest = [...document.body.querySelectorAll('*')].filter(spills).slice(-6)
    .map((e) => name(e) + ' ' + Math.round(e.getBoundingClientRect().right) + '/' + e.scrollWidth);
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: w, widest};
}"""


def _page_routes() -> list[tuple[str, re.Pattern[str]]]:
    """The page routes declared in the domains' web modules, the most literal first."""
    found: set[str] = set()
    for path in (ROOT / "src" / "aifhub").rglob("web*.py"):
        found.update(re.findall(r"\.get\(\s*\"(/[^\"]*)\"", path.read_text()))
    routes = []
    for route in found:
        rx = re.sub(r"\\\{[a-z_]+:path\\\}", ".+", re.escape(route))
        rx = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", rx)
        routes.append((route, re.compile(rx + "$")))
    return sorted(routes, key=lambda r: (r[0].count("{"), -len(r[0])))


ROUTES = _page_routes()


def route_of(path: str) -> str:
    """The route pattern of a path (the path itself when no page route matches it)."""
    for route, rx in ROUTES:
        if rx.match(path):
            return route
    return path


def _sign_in(page: Any, url: str, email: str, lang: str = "en") -> None:
    if lang != "en":  # the language switch of the header (a cookie); then the pages are French
        page.goto(f"{url}/lang/{lang}?next=/login")
    sign_in(page, url, email)
    assert page.locator("html").get_attribute("lang") == lang


def _links(page: Any, url: str) -> list[str]:
    """The same-origin GET links of the page (anchors, not forms), as paths with their query."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != url or SKIP.search(parts.path):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def _check(page: Any, where: str, *, phone: bool, problems: list[str]) -> None:
    """axe-core's serious and critical violations of the loaded page; its overflow on a phone."""
    page.wait_for_load_state("load")
    if urlsplit(page.url).path == API_DOCS:  # Swagger UI draws the operations after the load
        page.wait_for_selector(".swagger-ui .opblock", state="attached")
    for v in page.evaluate(AXE_RUN):
        problems.append(f"{where}: {v['impact']} {v['id']} ({v['help']}) at {v['targets']}")
    if phone:
        overflow = page.evaluate(OVERFLOW, PHONE["viewport"]["width"])
        if overflow is not None:
            problems.append(
                f"{where}: {overflow['scrollWidth']} px wide on a {overflow['innerWidth']} px "
                f"screen, widest: {overflow['widest']}"
            )


def _new_context(browser: Any, screen: dict[str, Any], locale: str) -> Any:
    context = browser.new_context(**screen, locale=locale)
    context.add_init_script(path=str(AXE))
    return context


def _make_job_and_ticket(page: Any, url: str) -> None:
    """Alice submits a job and opens a ticket, as a person would, so that their pages exist
    (the demo data has neither)."""
    page.goto(f"{url}/jobs/new")
    page.select_option("#f-project", "brain-mri-seg")
    page.select_option("#f-partition", "local/gpu")
    page.fill("#f-name", "every-page-check")
    page.fill("#f-gpus", "1")
    page.click("form[action='/jobs/new'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/jobs/\d+$"))
    page.goto(f"{url}/support/new")
    page.fill("#f-title", "Every page check: the menu on a phone")
    page.fill("#f-body", "Opened by the browser test that visits every page.")
    page.click("form[action='/support/new'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/support/tickets/\d+$"))


def _crawl_and_check(
    browser: Any, url: str, email: str | None, locale: str, done: set[tuple[str, str]],
    problems: list[str], visited: dict[str, str], *, on_desktop: bool = True,
    max_depth: int = 99,
) -> None:  # fmt: skip
    """Visit the pages this user reaches (within max_depth links of the first ones), one per
    route pattern not yet checked in this language, crawled and checked on a desktop screen
    (unless not on_desktop), then checked on a phone."""
    lang = locale[:2]
    who = f"{email or 'signed out'} [{lang}]"
    desktop = _new_context(browser, DESKTOP, locale)
    page = desktop.new_page()
    if email is not None:
        _sign_in(page, url, email, lang)
        if email == ALICE:
            _make_job_and_ticket(page, url)
        todo: deque[tuple[str, int]] = deque((p, 0) for p in ["/", *UNLINKED.get(email, [])])
    else:
        todo = deque((p, 0) for p in ["/login", "/register", API_DOCS])
    mine: list[str] = []
    queued = {route_of(p) for p, _ in todo}
    while todo:
        path, depth = todo.popleft()
        route = route_of(path)
        if path != "/" and (route, lang) in done:
            continue
        done.add((route, lang))
        page.goto(url + path)
        if urlsplit(page.url).path != urlsplit(url + path).path:
            continue  # redirected (a page this user may not see): not this route's page
        visited.setdefault(route, path)
        mine.append(path)
        if on_desktop:
            _check(page, f"{path} ({route}) as {who} at 1280 px", phone=False, problems=problems)
        if depth >= max_depth:
            continue
        for link in _links(page, url):
            r = route_of(urlsplit(link).path)
            if r not in queued and (r, lang) not in done:
                queued.add(r)
                todo.append((link, depth + 1))
    desktop.close()

    phone = _new_context(browser, PHONE, locale)
    page = phone.new_page()
    if email is not None:
        _sign_in(page, url, email, lang)
    for path in mine:
        page.goto(url + path)
        _check(page, f"{path} ({route_of(path)}) as {who} at 390 px", phone=True, problems=problems)
    phone.close()


def test_every_page_is_accessible_and_fits_a_phone(live_server, browser):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/setup.sh --test (npm ci in tests/browser)")
    url = live_server
    problems: list[str] = []
    visited: dict[str, str] = {}
    done: set[tuple[str, str]] = set()
    _crawl_and_check(browser, url, None, "en-GB", done, problems, visited)
    # Swagger UI is not translated: the French pass leaves it out.
    done.add((API_DOCS, "fr"))
    for email, _who, locale in USERS:
        en = locale.startswith("en")
        _crawl_and_check(
            browser, url, email, locale, done, problems, visited,
            on_desktop=en, max_depth=99 if en else 1,
        )  # fmt: skip
    missing = sorted(MUST_VISIT - visited.keys())
    assert not missing, f"the crawl did not reach {missing}; it reached {sorted(visited)}"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_the_menu_folds_behind_a_button_on_a_phone(live_server, browser):
    url = live_server
    context = browser.new_context(**PHONE, locale="en-GB")
    page = context.new_page()
    _sign_in(page, url, ALICE)
    button = page.locator("button.menu-toggle")
    projects = page.locator("nav.mainnav a[href='/projects']")
    assert button.is_visible() and button.get_attribute("aria-expanded") == "false"
    assert button.get_attribute("aria-controls") == "site-menu"
    assert not projects.is_visible()
    button.click()
    assert button.get_attribute("aria-expanded") == "true" and projects.is_visible()
    projects.click()
    page.wait_for_url(f"{url}/projects")
    assert not page.locator("nav.mainnav a[href='/jobs']").is_visible()
    # With the keyboard: Enter opens it, Escape closes it and gives the focus back to the button.
    page.focus("button.menu-toggle")
    page.keyboard.press("Enter")
    assert page.locator("nav.mainnav a[href='/jobs']").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#site-menu') !== null")
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert not page.locator("nav.mainnav a[href='/jobs']").is_visible()
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")
    context.close()

    # Without script the button stays hidden and the menu open, on a phone as on a desktop.
    for screen in (PHONE, DESKTOP):
        context = browser.new_context(**screen, locale="en-GB", java_script_enabled=False)
        page = context.new_page()
        _sign_in(page, url, ALICE)
        assert not page.locator("button.menu-toggle").is_visible()
        assert page.locator("nav.mainnav a[href='/jobs']").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= screen["viewport"]["width"]
        context.close()

    # On a desktop screen, the menu is in the bar and the button hidden.
    context = browser.new_context(**DESKTOP, locale="en-GB")
    page = context.new_page()
    _sign_in(page, url, ALICE)
    assert not page.locator("button.menu-toggle").is_visible()
    assert page.locator("nav.mainnav a[href='/jobs']").is_visible()
    context.close()


def test_the_api_docs_render_without_the_internet(live_server, browser):
    url = live_server
    context = browser.new_context(**DESKTOP, locale="en-GB")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(url + API_DOCS)
    page.wait_for_selector(".swagger-ui .opblock", state="attached")
    assert page.locator(".swagger-ui .opblock").count() > 20
    assert "aifhub" in page.locator(".swagger-ui .info .title").inner_text()
    elsewhere = [u for u in requested if not u.startswith(url) and not u.startswith("data:")]
    assert not elsewhere, f"the API docs fetched {elsewhere}"
    context.close()
