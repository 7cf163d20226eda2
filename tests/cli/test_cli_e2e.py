"""The CLI and the SDK end to end against a real `aifhub serve` process on a SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aifhub.client import ApiError, Client, ServerUnreachable
from aifhub.client.output import ExitCode
from aifhub.core.db import make_engine, make_sessionmaker
from aifhub.core.migrate import upgrade
from aifhub.identity.service import create_user

from ..factories import PASSWORD
from ..servers import free_port, start_server

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


async def _seed_users(url: str, emails: list[str]) -> None:
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        for email in emails:
            await create_user(
                session,
                email=email,
                name=email.split("@")[0].title(),
                password=PASSWORD,
                email_verified=True,  # seeded by the operator
            )
        await session.commit()
    await engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn process on a migrated temporary SQLite file, with three users."""
    base = tmp_path_factory.mktemp("e2e")
    url = f"sqlite+aiosqlite:///{base / 'aifhub.db'}"
    upgrade(url)
    asyncio.run(_seed_users(url, ["ada@example.eu", "bob@example.eu", "eve@example.eu"]))
    env = {
        **os.environ,
        "AIFHUB_DATABASE_URL": url,
        "AIFHUB_VAR_DIR": str(base / "var"),
        "AIFHUB_SECRET_KEY": "e2e-secret",
        "PYTHONPATH": str(REPO / "src"),
    }
    server = start_server(env, base / "server.log")
    yield server.url
    server.stop()


def cli(home: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None):
    """Run `aifhub ARGS` as a subprocess with its own config folder."""
    full_env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(home),
        "PYTHONPATH": str(REPO / "src"),
        "COLUMNS": "200",
        **(env or {}),
    }
    full_env.pop("AIFHUB_TOKEN", None) if "AIFHUB_TOKEN" not in (env or {}) else None
    full_env.pop("AIFHUB_URL", None) if "AIFHUB_URL" not in (env or {}) else None
    return subprocess.run(
        [sys.executable, "-m", "aifhub", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        start_new_session=True,  # no terminal: the password prompt reads stdin
    )


def login(home: Path, server: str, email: str) -> None:
    r = cli(home, "login", "--url", server, input=f"{email}\n{PASSWORD}\n")
    assert r.returncode == 0, r.stderr + r.stdout
    assert f"Signed in to {server} as {email}" in r.stdout


def test_cli_journey(server: str, tmp_path: Path) -> None:
    ada, bob = tmp_path / "ada", tmp_path / "bob"
    login(ada, server, "ada@example.eu")
    cfg = ada / "aifhub" / "config.toml"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert f'url = "{server}"' in cfg.read_text() and 'token = "aifh_' in cfg.read_text()

    r = cli(ada, "whoami")
    assert r.returncode == 0 and "ada@example.eu" in r.stdout
    r = cli(
        ada,
        "orgs",
        "create",
        "ada-lab",
        "--name",
        "Ada Lab",
        "--kind",
        "academic",
        "--country",
        "fr",
        "--sector",
        "health",
        "--sector",
        "energy",
    )
    assert r.returncode == 0, r.stderr
    r = cli(
        ada,
        "projects",
        "create",
        "llm-fr",
        "--name",
        "LLM FR",
        "--org",
        "ada-lab",
        "--sector",
        "health",
    )
    assert r.returncode == 0, r.stderr
    # Bob joins the organisation by accepting Ada's invitation.
    r = cli(ada, "orgs", "invite", "ada-lab", "bob@example.eu", "--role", "admin")
    assert r.returncode == 0 and "Invited bob@example.eu as admin" in r.stdout, r.stderr
    login(bob, server, "bob@example.eu")
    r = cli(bob, "orgs", "invitations", "--json")
    invitation = json.loads(r.stdout)[0]
    assert invitation["org_slug"] == "ada-lab"
    r = cli(bob, "orgs", "accept", str(invitation["id"]))
    assert r.returncode == 0 and "joined 'ada-lab' as admin" in r.stdout, r.stderr
    r = cli(ada, "orgs", "set-role", "ada-lab", "ada@example.eu", "member")
    assert r.returncode == ExitCode.CONFLICT and "last owner" in r.stderr
    r = cli(ada, "projects", "add-member", "llm-fr", "bob@example.eu")
    assert r.returncode == 0, r.stderr
    r = cli(ada, "projects", "set-role", "llm-fr", "bob@example.eu", "manager")
    assert r.returncode == 0 and "manager" in r.stdout, r.stderr

    r = cli(ada, "projects", "members", "llm-fr", "--json")
    members = {m["email"]: m["role"] for m in json.loads(r.stdout)}
    assert members == {"ada@example.eu": "pi", "bob@example.eu": "manager"}
    r = cli(ada, "projects", "list", "--json")
    listed = json.loads(r.stdout)
    assert [(p["slug"], p["organisation"], p["my_role"]) for p in listed] == [
        ("llm-fr", "ada-lab", "pi")
    ]
    r = cli(ada, "orgs", "show", "ada-lab", "--json")
    assert json.loads(r.stdout)["sectors"] == ["health", "energy"]
    r = cli(ada, "projects", "list")
    assert r.returncode == 0 and "llm-fr" in r.stdout and "Projects (1)" in r.stdout

    # Eve belongs to nothing: Ada's project does not exist for her.
    eve = tmp_path / "eve"
    login(eve, server, "eve@example.eu")
    r = cli(eve, "projects", "show", "llm-fr")
    assert r.returncode == ExitCode.NOT_FOUND
    assert "No project 'llm-fr' that you can see" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    r = cli(eve, "projects", "add-member", "llm-fr", "eve@example.eu", "--role", "pi")
    assert r.returncode == ExitCode.NOT_FOUND and "404" in r.stderr

    # Bob (manager) cannot demote the PI; the error says why.
    r = cli(bob, "projects", "set-role", "llm-fr", "ada@example.eu", "member")
    assert r.returncode == ExitCode.FORBIDDEN and "Only a PI" in r.stderr
    r = cli(ada, "projects", "remove-member", "llm-fr", "bob@example.eu")
    assert r.returncode == 0, r.stderr
    r = cli(ada, "orgs", "remove-member", "ada-lab", "bob@example.eu")
    assert r.returncode == 0, r.stderr

    # Tokens: create a read-only one, use it through the environment, revoke it.
    r = cli(ada, "tokens", "create", "ro", "--scope", "read", "--json")
    ro = json.loads(r.stdout)
    assert ro["scopes"] == ["read"]
    r = cli(ada, "projects", "list", "--json", env={"AIFHUB_TOKEN": ro["token"]})
    assert r.returncode == 0 and json.loads(r.stdout)[0]["slug"] == "llm-fr"
    r = cli(
        ada,
        "orgs",
        "create",
        "x-org",
        "--name",
        "X",
        "--kind",
        "sme",
        "--country",
        "FR",
        env={"AIFHUB_TOKEN": ro["token"]},
    )
    assert r.returncode == ExitCode.FORBIDDEN and "read-only" in r.stderr
    r = cli(ada, "tokens", "revoke", str(ro["id"]))
    assert r.returncode == 0, r.stderr
    r = cli(ada, "whoami", env={"AIFHUB_TOKEN": ro["token"]})
    assert r.returncode == ExitCode.NOT_SIGNED_IN and "revoked" in r.stderr

    # Logout revokes the saved token server-side.
    r = cli(ada, "logout")
    assert r.returncode == 0 and "Signed out" in r.stdout
    assert "token" not in cfg.read_text()
    r = cli(ada, "whoami")
    assert r.returncode == ExitCode.NOT_SIGNED_IN and "Not signed in" in r.stderr


def test_cli_bad_login_and_unreachable(server: str, tmp_path: Path) -> None:
    r = cli(tmp_path, "login", "--url", server, input="ada@example.eu\nnot-the-password\n")
    assert r.returncode == ExitCode.NOT_SIGNED_IN and "Wrong e-mail or password" in r.stderr
    assert not (tmp_path / "aifhub" / "config.toml").exists()
    r = cli(
        tmp_path,
        "login",
        "--url",
        f"http://127.0.0.1:{free_port()}",
        input=f"ada@example.eu\n{PASSWORD}\n",
    )
    assert r.returncode == ExitCode.UNAVAILABLE and "Cannot reach the aifhub server" in r.stderr
    r = cli(
        tmp_path,
        "orgs",
        "create",
        "Bad Slug",
        "--name",
        "x",
        "--kind",
        "nope",
        "--country",
        "FR",
        env={"AIFHUB_URL": server, "AIFHUB_TOKEN": "aifh_unknown"},
    )
    assert r.returncode == ExitCode.NOT_SIGNED_IN and "Unknown API token" in r.stderr


def test_sdk_pagination_and_errors(server: str) -> None:
    with Client(server) as c:
        c.login("bob@example.eu", PASSWORD, "sdk-test")
        assert c.me().email == "bob@example.eu"
        c.organisations.create("bob-co", "Bob Co", kind="sme", country="DE", sectors=["energy"])
        for i in range(7):
            c.projects.create(f"bob-p{i}", f"P{i}", organisation="bob-co", sector="energy")
        slugs = [p.slug for p in c.iter_projects(page_size=3)]
        assert slugs == [f"bob-p{i}" for i in range(7)]
        assert c.projects.list(limit=2, offset=6).items[0].slug == "bob-p6"
        assert [o.slug for o in c.iter_organisations(page_size=1)] == ["bob-co"]
        with pytest.raises(ApiError) as err:
            c.projects.create("Bad Slug", "x", organisation="bob-co", sector="astrology")
        assert err.value.status == 422 and err.value.title == "Invalid input"
        fields = {e["field"] for e in err.value.errors}
        assert fields == {"slug", "sector"}
        with pytest.raises(ApiError) as err:
            c.projects.set_role("bob-p0", "nobody@example.eu", "manager")
        assert err.value.status == 404 and "nobody@example.eu" in err.value.detail
        updated = c.projects.update("bob-p0", description="hello")
        assert updated.description == "hello" and updated.name == "P0"
    with pytest.raises(ServerUnreachable), Client(f"http://127.0.0.1:{free_port()}") as c:
        c.me()
