"""Federated sign-out (OpenID Connect RP-Initiated Logout 1.0) and the RFC 9207 `iss` check,
against the real test provider (tests/oidc/provider.js) and a real aifhub server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import select

from aifhub.identity.credentials import open_web_session
from aifhub.identity.models import WebSession

from ..factories import PASSWORD, make_user
from .conftest import ACCOUNTS, CLIENT_ID, CLIENT_SECRET
from .oidc_harness import (
    Browser,
    counts,
    free_port,
    parse_page,
    running_aifhub,
    running_provider,
    sign_in,
)

pytestmark = pytest.mark.slow

HTML = {"accept": "text/html"}


def provider_cookies(browser: Browser, issuer_host: str) -> set[str]:
    return {c.name for c in browser.http.cookies.jar if c.domain.startswith(issuer_host)}


async def csrf_token(browser: Browser, app_url: str) -> str:
    page = await browser.http.get(f"{app_url}/account", headers=HTML)
    assert page.status_code == 200, page.text
    logout = next(f for f in parse_page(page.text).forms if f.action == "/logout")
    return logout.fields["csrf_token"]


def callback_query(change: Callable[[dict[str, list[str]]], None]) -> Callable[[str], str]:
    """A redirect rewriter that alters the provider's answer on its way to the callback."""

    def rewrite(url: str) -> str:
        parts = urlsplit(url)
        if not parts.path.endswith("/callback"):
            return url
        query = parse_qs(parts.query)
        change(query)
        return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))

    return rewrite


def drop_iss(query: dict[str, list[str]]) -> None:
    assert query.pop("iss"), "the test provider always sends iss"


# ---------------------------------------------------------------- RP-initiated logout


async def test_federated_sign_out_ends_the_provider_session(aifhub_url, openid_provider, db):
    issuer_host = urlsplit(openid_provider.issuer).hostname or ""
    browser = Browser()
    try:
        assert (await sign_in(browser, aifhub_url, "ada")).status_code == 200
        assert "_session" in provider_cookies(browser, issuer_host)
        # While the provider's session lives, signing in again asks for nothing.
        again = await browser.go(f"{aifhub_url}/auth/oidc/testidp/login?next=/api/v1/me")
        assert str(again.url) == f"{aifhub_url}/api/v1/me" and again.status_code == 200
        # The ID token stays with the session, server-side; the cookie is a random id.
        ws = await db.scalar(select(WebSession).order_by(WebSession.id.desc()).limit(1))
        assert ws.oidc_provider == "testidp" and ws.id_token and ws.id_token.count(".") == 2
        session_id, id_token = ws.id, ws.id_token
        assert id_token not in {c.value for c in browser.http.cookies.jar}

        token = await csrf_token(browser, aifhub_url)
        browser.visited.clear()
        confirm = await browser.go(f"{aifhub_url}/logout", data={"csrf_token": token})
        end_session = urlsplit(browser.visited[0])
        assert f"{end_session.scheme}://{end_session.netloc}" == openid_provider.issuer
        params = parse_qs(end_session.query)
        assert params["client_id"] == [CLIENT_ID]
        assert params["post_logout_redirect_uri"] == [f"{aifhub_url}/login"]
        assert params["id_token_hint"] == [id_token]
        # aifhub's session ended before the browser left.
        assert (await browser.http.get(f"{aifhub_url}/api/v1/me")).status_code == 401
        await db.rollback()  # a fresh snapshot of the database
        assert await db.scalar(select(WebSession).where(WebSession.id == session_id)) is None

        # The provider asks to confirm; the person says yes.
        assert confirm.status_code == 200, confirm.text
        form = parse_page(confirm.text).forms[0]
        back = await browser.go(
            urljoin(str(confirm.url), form.action), data={**form.fields, "logout": "yes"}
        )
        assert str(back.url) == f"{aifhub_url}/login"
        assert back.status_code == 200 and "You are signed out." in back.text
        assert "_session" not in provider_cookies(browser, issuer_host)

        # The next sign-in asks for credentials again.
        login = await browser.go(f"{aifhub_url}/auth/oidc/testidp/login")
        assert str(login.url).startswith(openid_provider.issuer)
        assert parse_page(login.text).forms[0].fields.get("prompt") == "login"
    finally:
        await browser.close()


async def test_local_sign_out_does_not_leave_the_site(aifhub_url, db):
    await make_user(db, "grace@example.eu")
    async with httpx.AsyncClient(base_url=aifhub_url) as browser:
        page = await browser.get("/login")
        form = next(f for f in parse_page(page.text).forms if f.action == "/login")
        form.fields.update(email="grace@example.eu", password=PASSWORD)
        signed_in = await browser.post("/login", data=form.fields)
        assert signed_in.status_code == 303 and browser.cookies.get("aifhub_session")
        ws = await db.scalar(select(WebSession))
        assert ws.oidc_provider is None and ws.id_token is None

        page = await browser.get("/account", headers=HTML)
        logout = next(f for f in parse_page(page.text).forms if f.action == "/logout")
        out = await browser.post("/logout", data=logout.fields)
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert (await browser.get("/api/v1/me")).status_code == 401


# ---------------------------------------------------------------- RFC 9207 iss


async def test_answer_without_iss_is_refused_when_the_provider_promises_it(aifhub_url, db):
    for language, sentence in [
        ("en", "does not say which identity provider sent it"),
        ("fr", "ne dit pas quel fournisseur d'identité l'a envoyée"),
    ]:
        browser = Browser()
        browser.http.headers.update({**HTML, "accept-language": language})
        try:
            response = await sign_in(browser, aifhub_url, "ada", rewrite=callback_query(drop_iss))
            assert any("/callback?" in u and "iss=" not in u for u in browser.visited)
            assert response.status_code == 400, response.text
            assert response.headers["content-type"].startswith("text/html")
            assert sentence in response.text.replace("&#39;", "'")
            assert "aifhub_session" not in browser.http.cookies
        finally:
            await browser.close()
    assert await counts(db) == (0, 0, 0)


async def test_answer_from_another_issuer_is_refused(aifhub_url, db):
    def other_issuer(query: dict[str, list[str]]) -> None:
        query["iss"] = ["https://evil.example"]

    browser = Browser()
    try:
        response = await sign_in(browser, aifhub_url, "ada", rewrite=callback_query(other_issuer))
        assert response.status_code == 400, response.text
        assert "https://evil.example" in response.json()["detail"]
    finally:
        await browser.close()
    assert await counts(db) == (0, 0, 0)


@pytest.fixture(scope="session")
def plain_aifhub_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """aifhub with a provider whose metadata neither promises `iss` (RFC 9207) nor offers an
    end_session_endpoint, and a provider that cannot be reached."""
    port = free_port()
    with running_provider(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        accounts=ACCOUNTS,
        app_urls=[f"http://127.0.0.1:{port}"],
        provider="plainidp",
        OIDC_ISS_METADATA="off",
        OIDC_RP_LOGOUT="off",
    ) as issuer:
        doc = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
        assert "authorization_response_iss_parameter_supported" not in doc
        assert "end_session_endpoint" not in doc
        site = f"""
[[oidc]]
name = "plainidp"
label = "Plain federation"
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"

[[oidc]]
name = "gone"
label = "Gone federation"
issuer = "http://127.0.0.1:{free_port()}"
client_id = "{CLIENT_ID}"
"""
        with running_aifhub(
            port=port,
            database_url=database_url,
            var=tmp_path_factory.mktemp("oidc-plain-var"),
            site=site,
        ) as url:
            yield url


async def test_answer_without_iss_is_accepted_when_not_promised(plain_aifhub_url, db):
    browser = Browser()
    try:
        me = await sign_in(
            browser, plain_aifhub_url, "ada", rewrite=callback_query(drop_iss), provider="plainidp"
        )
        assert any("/callback?" in u and "iss=" not in u for u in browser.visited)
        assert me.status_code == 200, me.text
        assert me.json()["email"] == "ada@example.eu"
        assert await counts(db) == (1, 1, 1)
        # No end_session_endpoint: no ID token kept, and signing out stays on the site.
        ws = await db.scalar(select(WebSession))
        assert ws.oidc_provider is None and ws.id_token is None
        token = await csrf_token(browser, plain_aifhub_url)
        out = await browser.http.post(f"{plain_aifhub_url}/logout", data={"csrf_token": token})
        assert out.status_code == 303 and out.headers["location"] == "/login"
    finally:
        await browser.close()


async def test_sign_out_when_the_provider_cannot_be_reached(plain_aifhub_url, db):
    user = await make_user(db, "ada@example.eu")
    raw = await open_web_session(
        db,
        user,
        hours=1,
        client_addr=None,
        user_agent=None,
        oidc_provider="gone",
        id_token="a.b.c",
    )
    await db.commit()
    async with httpx.AsyncClient(
        base_url=plain_aifhub_url, cookies={"aifhub_session": raw}
    ) as browser:
        page = await browser.get("/account", headers=HTML)
        logout = next(f for f in parse_page(page.text).forms if f.action == "/logout")
        out = await browser.post("/logout", data=logout.fields)
        # aifhub's session ends all the same, and the page says what is left to do.
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert (await browser.get("/api/v1/me")).status_code == 401
        login = await browser.get("/login")
        assert "You are signed out." in login.text
        assert "could not be reached to end your session there too" in login.text
