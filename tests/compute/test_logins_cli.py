"""`aifhub logins ...` end to end: typer's runner, the HTTP client, a real server on the test
database; every refusal is a sentence, every command prints what it did."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select
from typer.testing import CliRunner

from aifhub.app import create_app
from aifhub.cli import app as cli_app
from aifhub.client.output import ExitCode
from aifhub.compute import cli_logins
from aifhub.compute.models import ClusterLogin
from aifhub.core.config import SiteConfig
from aifhub.resources.site import sync_site

from ..factories import api_user
from ..smtp_server import free_port
from ..unix_users import missing_unix_name

CPU = [{"name": "cpu", "cores_per_node": 4, "max_time": "2h"}]


def _site(mapping: str | None = None) -> SiteConfig:
    loc: dict[str, Any] = {"mapping_file": mapping} if mapping else {}
    return SiteConfig.model_validate(
        {
            "clusters": [
                {"name": "loc", "backend": "local", "logins": loc, "partitions": CPU},
                {"name": "rest", "backend": "slurmrest", "partitions": CPU},
            ]
        }
    )


@pytest.fixture(scope="module")
def live_url(settings) -> Iterator[str]:
    """A uvicorn server on a free port serving the app on the test database."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
async def cli(db, live_url, monkeypatch, tmp_path):
    """run(who, *args) -> (exit code, output) as the admin, ada or bob."""
    await sync_site(db, _site())
    await db.commit()
    heads = {
        "admin": await api_user(db, "admin@factory.eu", staff=("admin",)),
        "ada": await api_user(db, "ada@lab.eu"),
        "bob": await api_user(db, "bob@lab.eu"),
    }
    monkeypatch.setenv("AIFHUB_URL", live_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "250")

    def invoke(who: str, args: tuple[str, ...]) -> tuple[int, str]:
        env = {"AIFHUB_TOKEN": heads[who]["Authorization"].split()[1]}
        result = CliRunner().invoke(cli_app, list(args), env=env)
        return result.exit_code, " ".join(result.output.split())  # lines joined

    async def run(who: str, *args: str) -> tuple[int, str]:
        return await asyncio.to_thread(invoke, who, args)

    return run


async def test_map_and_its_refusals(cli, unix_user):
    missing = missing_unix_name()
    code, out = await cli("admin", "logins", "map", "ada@lab.eu", "loc", missing)
    assert code == ExitCode.INVALID
    assert (
        f"'{missing}' is not a user on the host that submits to cluster 'loc': create the Unix "
        "user there first, or check the spelling." in out
    )
    code, out = await cli("admin", "logins", "map", "ada@lab.eu", "loc", "nobody")
    assert code == ExitCode.INVALID and "'nobody' is a reserved or system account on 'loc'" in out
    code, out = await cli("admin", "logins", "map", "who@else.eu", "loc", unix_user)
    assert (
        code == ExitCode.NOT_FOUND
        and "No user has the e-mail 'who@else.eu': check the spelling" in out
    )
    code, out = await cli("admin", "logins", "map", "ada@lab.eu", "nope", unix_user)
    assert code == ExitCode.NOT_FOUND and "No cluster 'nope'; the clusters are: loc, rest." in out
    code, out = await cli("ada", "logins", "map", "ada@lab.eu", "loc", unix_user)
    assert code == ExitCode.FORBIDDEN and "Only the factory's admins map, approve or revoke" in out

    code, out = await cli("admin", "logins", "map", "ada@lab.eu", "loc", unix_user)
    assert code == 0, out
    assert out == f"Login '{unix_user}' on loc for ada@lab.eu: approved"
    code, out = await cli("admin", "logins", "map", "bob@lab.eu", "loc", unix_user)
    assert (
        code == ExitCode.CONFLICT and f"The login '{unix_user}' on 'loc' is already taken." in out
    )
    # slurmrest: accepted as written, and the output says the platform could not check it
    code, out = await cli("admin", "logins", "map", "bob@lab.eu", "rest", missing)
    assert code == 0, out
    assert out.startswith(f"Login '{missing}' on rest for bob@lab.eu: approved Note: ")
    assert "cannot see the Unix users of cluster 'rest'" in out


async def test_request_list_filters_show_decide(cli, db, unix_user):
    code, out = await cli("ada", "logins", "request", "loc", unix_user)
    assert (code, out) == (0, f"Login '{unix_user}' on loc: pending")
    code, out = await cli("bob", "logins", "request", "rest", "bobby")
    assert code == 0, out
    code, out = await cli("ada", "logins", "list")
    assert code == 0 and unix_user in out and "bobby" not in out
    code, out = await cli("ada", "logins", "list", "--all")
    assert code == ExitCode.FORBIDDEN and "Only the factory's admins" in out

    async def listed(*args: str) -> list[tuple[str, str, str]]:
        code, out = await cli("admin", "logins", "list", "--json", *args)
        assert code == 0, out
        return [(r["user_email"], r["cluster"], r["login"]) for r in json.loads(out)]

    everyone = [("ada@lab.eu", "loc", unix_user), ("bob@lab.eu", "rest", "bobby")]
    assert await listed("--all") == everyone
    assert await listed("--status", "pending") == everyone
    assert await listed("--cluster", "rest") == everyone[1:]
    assert await listed("--user", "ada@lab.eu") == everyone[:1]
    assert await listed("--cluster", "rest", "--status", "approved") == []
    code, out = await cli("admin", "logins", "list", "--status", "done")
    assert code == ExitCode.INVALID and "Unknown status 'done'; use one of pending, approved" in out
    code, out = await cli("admin", "logins", "list", "--all")
    assert code == 0 and "Cluster logins (2)" in out and "bob@lab.eu" in out

    ada_id = await db.scalar(select(ClusterLogin.id).where(ClusterLogin.login == unix_user))
    bob_id = await db.scalar(select(ClusterLogin.id).where(ClusterLogin.login == "bobby"))
    code, out = await cli("admin", "logins", "show", str(ada_id))
    assert code == 0 and f"Cluster login {ada_id}" in out and "ada@lab.eu" in out
    code, out = await cli("admin", "logins", "show", str(bob_id), "--json")
    assert code == 0 and json.loads(out)["note"].startswith("The platform cannot see")
    code, out = await cli("admin", "logins", "show", "999999")
    assert code == ExitCode.NOT_FOUND and "No cluster login 999999" in out

    code, out = await cli("admin", "logins", "approve", str(ada_id))
    assert (code, out) == (0, f"Login '{unix_user}' on loc for ada@lab.eu: approved")
    code, out = await cli("admin", "logins", "approve", str(ada_id))
    assert (
        code == ExitCode.CONFLICT
        and "This request is already approved; only pending ones are decided." in out
    )
    code, out = await cli("admin", "logins", "reject", str(bob_id), "--reason", "")
    assert code == ExitCode.INVALID and "Say why the request is rejected" in out
    code, out = await cli("admin", "logins", "reject", str(bob_id), "--reason", "not yours")
    assert (code, out) == (0, "Login 'bobby' on rest for bob@lab.eu: rejected")
    code, out = await cli("admin", "logins", "revoke", str(ada_id), "--reason", " ")
    assert code == ExitCode.INVALID and "Say why the login is revoked" in out
    code, out = await cli("admin", "logins", "revoke", str(ada_id), "--reason", "left the lab")
    assert (code, out) == (0, f"Login '{unix_user}' on loc for ada@lab.eu: revoked")
    code, out = await cli("ada", "logins", "list", "--json")
    assert [(r["status"], r["reason"]) for r in json.loads(out)] == [("revoked", "left the lab")]


async def test_sync_applies_the_mapping_file(cli, db, settings, monkeypatch, tmp_path, unix_user):
    missing = missing_unix_name()
    mapping = tmp_path / "loc-logins.csv"
    mapping.write_text(f"email,login\nada@lab.eu,{unix_user}\nbob@lab.eu,{missing}\n")
    await sync_site(db, _site(str(mapping)))
    await db.commit()
    monkeypatch.setattr(cli_logins, "get_settings", lambda: settings)  # the test database
    code, out = await cli("admin", "logins", "sync")
    assert (code, out) == (0, "1 login(s) applied, 0 revoked, 1 refused (see the log).")
    code, out = await cli("admin", "logins", "list", "--json", "--cluster", "loc")
    assert [(r["user_email"], r["login"], r["source"]) for r in json.loads(out)] == [
        ("ada@lab.eu", unix_user, "mapping")
    ]
