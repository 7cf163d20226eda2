"""Federated sign-in end to end: a real OpenID provider (oidc-provider on Node.js), a real
uvicorn server of aifhub, and an HTTP client that follows the redirects and posts the
provider's own login and consent forms, as a browser would."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from aifhub.identity.models import ExternalIdentity

from .oidc_harness import (  # Browser and sign_in: also used by the security tests
    Browser,
    counts,
    parse_page,
    sign_in,
)

pytestmark = pytest.mark.slow

# ---------------------------------------------------------------- the tests


async def test_first_login_creates_user_second_reuses_it(aifhub_url, db):
    browser = Browser()
    try:
        me = await sign_in(browser, aifhub_url, "ada")
        assert me.status_code == 200, me.text
        assert str(me.url) == f"{aifhub_url}/api/v1/me"
        body = me.json()
        assert body["email"] == "ada@example.eu"
        assert body["name"] == "Ada Lovelace"
        assert body["staff_roles"] == ["admin", "support"]  # groups, realm_access.roles
        assert browser.http.cookies.get("aifhub_session")
        # The state cookie served once and is gone.
        assert "aifhub_oidc" not in browser.http.cookies
    finally:
        await browser.close()

    second = Browser()  # a new browser: the provider asks to sign in again
    try:
        me2 = await sign_in(second, aifhub_url, "ada")
        assert me2.status_code == 200, me2.text
        assert me2.json()["id"] == body["id"]
    finally:
        await second.close()
    assert await counts(db) == (1, 1, 2)
    link = await db.scalar(select(ExternalIdentity))
    assert link.provider == "testidp" and link.subject == "ada"
    assert link.claims["groups"] == ["aifhub-admins", "everyone"]


async def test_tampered_state_is_refused_and_signs_nobody_in(aifhub_url, db):
    def tamper(url: str) -> str:
        parts = urlsplit(url)
        if not parts.path.endswith("/callback"):
            return url
        query = parse_qs(parts.query)
        query["state"] = [query["state"][0][:-2] + "xx"]
        return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))

    browser = Browser()
    try:
        response = await sign_in(browser, aifhub_url, "ada", rewrite=tamper)
        assert any(
            u.startswith(f"{aifhub_url}/auth/oidc/testidp/callback") for u in browser.visited
        )
        assert response.status_code == 400, response.text
        assert "state" in response.json()["detail"]
        assert "aifhub_session" not in browser.http.cookies
        assert (await browser.http.get(f"{aifhub_url}/api/v1/me")).status_code == 401
    finally:
        await browser.close()
    assert await counts(db) == (0, 0, 0)


async def test_callback_without_the_browsers_sign_in_is_refused(aifhub_url, db):
    async with httpx.AsyncClient() as stranger:
        r = await stranger.get(
            f"{aifhub_url}/auth/oidc/testidp/callback", params={"code": "x", "state": "y"}
        )
    assert r.status_code == 400
    assert "No sign-in is in progress" in r.json()["detail"]
    assert await counts(db) == (0, 0, 0)


async def test_unknown_provider_is_404(aifhub_url):
    async with httpx.AsyncClient() as http:
        for path in ("login", "callback"):
            r = await http.get(f"{aifhub_url}/auth/oidc/nowhere/{path}")
            assert r.status_code == 404
            assert "testidp" in r.json()["detail"]  # names the ones that exist


async def test_user_cancelling_at_the_provider_gets_a_clear_page(aifhub_url, db):
    browser = Browser()
    try:
        page = await browser.go(f"{aifhub_url}/auth/oidc/testidp/login")
        abort = next(h for h in parse_page(page.text).links if h.endswith("/abort"))
        browser.http.headers["accept"] = "text/html"
        response = await browser.go(urljoin(str(page.url), abort))
        assert str(response.url).startswith(f"{aifhub_url}/auth/oidc/testidp/callback?error=")
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        assert "access_denied" in response.text and "Start again" in response.text
    finally:
        await browser.close()
    assert await counts(db) == (0, 0, 0)


async def test_missing_email_claim_creates_nothing(aifhub_url, db):
    browser = Browser()
    try:
        response = await sign_in(browser, aifhub_url, "nomail")
        assert response.status_code == 422, response.text
        assert "no usable e-mail claim 'email'" in response.json()["detail"]
        assert "aifhub_session" not in browser.http.cookies
    finally:
        await browser.close()
    assert await counts(db) == (0, 0, 0)


async def test_next_cannot_leave_the_site(aifhub_url, db):
    browser = Browser()
    try:
        response = await sign_in(browser, aifhub_url, "ada", next_path="//evil.example/x")
        assert str(response.url) == f"{aifhub_url}/"
    finally:
        await browser.close()


async def test_expired_or_forged_sign_in_cookie_is_refused(aifhub_url, db):
    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 11 * 60

    pending = {"p": "testidp", "s": "st", "n": "no", "v": "ve", "next": "/"}
    old = URLSafeTimedSerializer("oidc-test-secret", salt="aifhub.oidc.state", signer=LongAgo)
    forged = URLSafeTimedSerializer("not-the-secret", salt="aifhub.oidc.state")
    for cookie, message in [
        (old.dumps(pending), "took more than 10 minutes"),
        (forged.dumps(pending), "cookie is not valid"),
    ]:
        async with httpx.AsyncClient(cookies={"aifhub_oidc": cookie}) as http:
            r = await http.get(
                f"{aifhub_url}/auth/oidc/testidp/callback", params={"code": "c", "state": "st"}
            )
        assert r.status_code == 400 and message in r.json()["detail"]
    assert await counts(db) == (0, 0, 0)


async def test_login_page_offers_the_configured_provider(aifhub_url):
    async with httpx.AsyncClient(base_url=aifhub_url) as browser:
        page = await browser.get("/login?next=/projects")
    assert page.status_code == 200
    assert "/auth/oidc/" in page.text and "next=%2Fprojects" in page.text
