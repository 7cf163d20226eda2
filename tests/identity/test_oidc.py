"""Federated sign-in end to end: a real OpenID provider (oidc-provider on Node.js), a real
uvicorn server of aifhub, and an HTTP client that follows the redirects and posts the
provider's own login and consent forms, as a browser would."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
import uvicorn
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from aifhub.app import create_app
from aifhub.core.config import Settings
from aifhub.identity.models import ExternalIdentity, User, WebSession

from ..conftest import DATABASES

pytestmark = pytest.mark.slow

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc"
# The secret has characters that client_secret_basic must form-encode (RFC 6749 §2.3.1).
CLIENT_ID, CLIENT_SECRET = "aifhub-test", "s3cret:with/odd+chars%"
ACCOUNTS = {
    "ada": {
        "email": "Ada@Example.eu",
        "email_verified": True,
        "name": "Ada Lovelace",
        "groups": ["aifhub-admins", "everyone"],
        "realm_access": {"roles": ["support-team"]},
        "hpc_login": "alovelace",
    },
    "nomail": {"name": "No Mail", "groups": ["aifhub-admins"]},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class OpenIDProvider:
    issuer: str
    app_ports: dict[str, int]  # one registered redirect URI per database kind


@pytest.fixture(scope="session")
def openid_provider() -> Iterator[OpenIDProvider]:
    """oidc-provider running under Node.js with a static client for aifhub."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "Node.js is not installed (needed for the test OpenID provider): run "
            "scripts/setup.sh --test"
        )
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            "tests/oidc/node_modules is missing: run scripts/setup.sh --test "
            "(it runs `npm ci` in tests/oidc)"
        )
    port = _free_port()
    app_ports = {kind: _free_port() for kind in DATABASES}
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URIS": ",".join(
            f"http://127.0.0.1:{p}/auth/oidc/testidp/callback" for p in app_ports.values()
        ),
        "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
    }
    proc = subprocess.Popen(
        [node, "provider.js"],
        cwd=PROVIDER_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"the test OpenID provider exited:\n{out}")
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the test OpenID provider did not start within 20 s")
            time.sleep(0.1)
        yield OpenIDProvider(issuer=issuer, app_ports=app_ports)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def aifhub_url(
    openid_provider: OpenIDProvider, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real uvicorn server of aifhub whose site file names the test provider."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    port = openid_provider.app_ports[kind]
    var = tmp_path_factory.mktemp("oidc-var")
    site = var / "site.toml"
    site.write_text(
        f"""
[[oidc]]
name = "testidp"
label = "Test federation"
issuer = "{openid_provider.issuer}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
scopes = "openid email profile groups roles hpc"
[oidc.role_claims]
groups = {{ "aifhub-admins" = "admin" }}
"realm_access.roles" = {{ "support-team" = "support" }}

# A Slurm cluster that trusts the provider's hpc_login claim as the user's login there.
[[clusters]]
name = "jz"
backend = "slurm"
[clusters.settings]
cluster_name = "ci"
[clusters.logins]
oidc_provider = "testidp"
oidc_claim = "hpc_login"
[[clusters.partitions]]
name = "cpu"
cores_per_node = 16
"""
    )
    settings = Settings(
        database_url=database_url,
        var_dir=var,
        site_file=site,
        secret_key="oidc-test-secret",
        base_url=f"http://127.0.0.1:{port}",
        run_worker_in_process=False,
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the aifhub server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# ---------------------------------------------------------------- a small browser


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(action=a.get("action", "")))
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])


def parse_page(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


class Browser:
    """Cookies kept per host, redirects followed one by one (so a test can alter one)."""

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(timeout=15)
        self.visited: list[str] = []

    async def go(
        self,
        url: str,
        *,
        data: dict[str, str] | None = None,
        rewrite: Callable[[str], str] | None = None,
    ) -> httpx.Response:
        method = "POST" if data is not None else "GET"
        response = await self.http.request(method, url, data=data)
        for _ in range(15):
            if not response.is_redirect:
                break
            target = urljoin(str(response.url), response.headers["location"])
            if rewrite:
                target = rewrite(target)
            self.visited.append(target)
            response = await self.http.get(target)
        return response

    async def close(self) -> None:
        await self.http.aclose()


async def sign_in(
    browser: Browser,
    app_url: str,
    login: str,
    *,
    next_path: str = "/api/v1/me",
    rewrite: Callable[[str], str] | None = None,
) -> httpx.Response:
    """Go through the provider's login and consent forms; return the last response."""
    query = urlencode({"next": next_path})
    response = await browser.go(f"{app_url}/auth/oidc/testidp/login?{query}", rewrite=rewrite)
    for _ in range(3):  # login, then consent
        if str(response.url).startswith(app_url):
            break
        assert response.status_code == 200, response.text
        form = parse_page(response.text).forms[0]
        if form.fields.get("prompt") == "login":
            form.fields.update(login=login, password="any password")
        response = await browser.go(
            urljoin(str(response.url), form.action), data=form.fields, rewrite=rewrite
        )
    return response


async def counts(db) -> tuple[int, int, int]:
    """Users, linked identities, web sessions."""
    return (
        await db.scalar(select(func.count()).select_from(User)),
        await db.scalar(select(func.count()).select_from(ExternalIdentity)),
        await db.scalar(select(func.count()).select_from(WebSession)),
    )


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
