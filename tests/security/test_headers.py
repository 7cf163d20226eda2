"""Security headers on every response; pages that need no inline code and no third party."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from aifhub.app import create_app
from aifhub.web.render import WEB_DIR

from ..factories import make_user
from ..web.helpers import HTML, login

TEMPLATES = Path(WEB_DIR) / "templates"


def _csp(r: httpx.Response) -> dict[str, str]:
    policy = r.headers["content-security-policy"]
    return {d.split()[0]: d.strip() for d in policy.split(";") if d.strip()}


def assert_secure_headers(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff", r.url
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] in {"strict-origin-when-cross-origin", "no-referrer"}
    csp = _csp(r)
    assert csp["default-src"] == "default-src 'self'"
    assert csp["script-src"] == "script-src 'self'"  # no inline script, no CDN
    assert csp["style-src"] == "style-src 'self'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["form-action"] == "form-action 'self'"
    assert csp["base-uri"] == "base-uri 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert "strict-transport-security" not in r.headers  # plain HTTP in the tests


async def test_every_kind_of_response_carries_the_headers(client, db):
    await make_user(db, "ada@example.eu")
    responses = [
        await client.get("/login"),
        await client.get("/static/app.css"),
        await client.get("/static/htmx.min.js"),
        await client.get("/api/v1/openapi.json"),
        await client.get("/api/v1/me"),  # 401 problem+json
        await client.get("/api/v1/nowhere"),  # 404
        await client.get("/nowhere", headers=HTML),  # 404 page
        await client.post("/api/v1/tokens/login", json={}),  # 422
        await client.get("/healthz"),
    ]
    await login(client, "ada@example.eu")
    responses.append(await client.get("/", headers=HTML))
    responses.append(await client.get("/account", headers=HTML))
    for r in responses:
        assert_secure_headers(r)


async def test_the_api_docs_page_loads_nothing_from_a_third_party(client):
    r = await client.get("/api/v1/docs")
    assert r.status_code == 200
    assert "http://" not in r.text and "https://" not in r.text  # no CDN, no remote favicon
    assert "<script>" not in r.text  # no inline start-up script
    csp = _csp(r)
    assert csp["script-src"] == "script-src 'self'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["default-src"] == "default-src 'none'"
    assert r.headers["x-frame-options"] == "DENY"
    for asset in ("/apidocs/swagger-ui-bundle.js", "/apidocs/swagger-ui.css", "/static/apidocs.js"):
        served = await client.get(asset)
        assert served.status_code == 200 and len(served.content) > 100, asset


async def test_hsts_only_when_served_over_https(settings):
    for values, expected in [
        ({"secure_cookies": True}, True),
        ({"base_url": "https://hub.example.eu"}, True),
        ({"secure_cookies": False, "base_url": "http://127.0.0.1:8000"}, False),
    ]:
        app = create_app(settings.model_copy(update=values), check_schema=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/static/app.css")
        assert ("max-age=" in r.headers.get("strict-transport-security", "")) is expected


def test_templates_have_no_inline_code_and_load_scripts_only_from_static():
    scripts = 0
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert "<style" not in text, f"{path}: inline <style> (move it to static/app.css)"
        assert not re.search(r"\sstyle=", text), f"{path}: inline style attribute"
        assert not re.search(r"\son[a-z]+=", text), f"{path}: inline event handler"
        assert "hx-on" not in text and "javascript:" not in text, path
        for tag in re.findall(r"<script\b[^>]*>", text):
            if tag == '<script type="application/ld+json">':
                continue  # a data block (structured data for search engines), never run
            scripts += 1
            src = re.search(r'src="([^"]+)"', tag)
            assert src and src.group(1).startswith("/static/"), f"{path}: {tag}"
        for href in re.findall(r'<link[^>]+href="([^"]+)"', text):
            assert href.startswith("/"), f"{path}: stylesheet from {href}"
    assert scripts >= 2  # htmx and app.js, from base.html


@pytest.mark.slow
@pytest.mark.browser
def test_pages_raise_no_csp_violation_and_htmx_still_works(live_server, browser):
    url = live_server
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{url}/login")
    page.fill("#f-email", "alice@neuroscan.example")
    page.fill("#f-password", "demo-password")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/")
    for path in ["/", "/projects", "/organisations", "/applications", "/jobs", "/catalog",
                 "/catalog/neuroscan/mri-features-synthetic"]:  # fmt: skip
        page.goto(f"{url}{path}")
        assert page.locator("h1").count() >= 1, path
    # the state filter submits itself (was an inline onchange handler)
    page.goto(f"{url}/applications")
    if page.locator("#f-state").count():
        with page.expect_navigation():
            page.select_option("#f-state", index=1)
        assert "state=" in page.url
    # HTMX: create a token, then revoke it in place (hx-post, hx-confirm, hx-swap)
    page.goto(f"{url}/account")
    page.fill("#f-token-name", "csp-check")
    page.click("form[action='/account/tokens'] button[type=submit]")
    page.locator("tr", has_text="csp-check").locator("button").click()
    page.wait_for_selector("tr:has-text('csp-check') .badge.off")
    assert page.evaluate("typeof window.htmx") == "object"
    # The API page renders Swagger UI from this server's files, under the same rules.
    page.goto(f"{url}/api/v1/docs")
    page.wait_for_selector(".opblock-tag", timeout=20_000)
    assert violations == []
    context.close()
