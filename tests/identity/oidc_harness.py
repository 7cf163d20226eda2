"""The pieces of the federated sign-in tests: a real OpenID provider (oidc-provider on Node.js,
tests/oidc/provider.js), a real uvicorn server of aifhub, and a small browser that follows the
redirects and posts the provider's own forms."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from aifhub.app import create_app
from aifhub.core.config import Settings
from aifhub.identity.models import ExternalIdentity, User, WebSession

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_provider(
    *,
    client_id: str,
    client_secret: str,
    accounts: dict[str, Any],
    app_urls: list[str],
    provider: str = "testidp",
    **env: str,
) -> Iterator[str]:
    """oidc-provider with a static client whose redirect URIs (the callback of the [[oidc]]
    section `provider`) and post-logout redirect URIs (the sign-in page) are those of the
    aifhub servers at `app_urls`; yields the issuer. `env`: more OIDC_* settings."""
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
    port = free_port()
    proc = subprocess.Popen(
        [node, "provider.js"],
        cwd=PROVIDER_DIR,
        env={
            **os.environ,
            "OIDC_PORT": str(port),
            "OIDC_CLIENT_ID": client_id,
            "OIDC_CLIENT_SECRET": client_secret,
            "OIDC_REDIRECT_URIS": ",".join(
                f"{url}/auth/oidc/{provider}/callback" for url in app_urls
            ),
            "OIDC_POST_LOGOUT_REDIRECT_URIS": ",".join(f"{url}/login" for url in app_urls),
            "OIDC_ACCOUNTS": json.dumps(accounts),
            **env,
        },
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
        yield issuer
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def running_aifhub(*, port: int, database_url: str, var: Path, site: str) -> Iterator[str]:
    """A real uvicorn server of aifhub with this site file; yields its URL."""
    site_file = var / "site.toml"
    site_file.write_text(site)
    settings = Settings(
        database_url=database_url,
        var_dir=var,
        site_file=site_file,
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
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
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
    provider: str = "testidp",
) -> httpx.Response:
    """Go through the provider's login and consent forms; return the last response."""
    query = urlencode({"next": next_path})
    response = await browser.go(f"{app_url}/auth/oidc/{provider}/login?{query}", rewrite=rewrite)
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
