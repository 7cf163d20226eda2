"""The access CLI and SDK against a real HTTP server (uvicorn in a thread) on the test database."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from typer.testing import CliRunner

from aifhub.app import create_app
from aifhub.cli import app as cli_app
from aifhub.client import Client
from aifhub.client.output import ExitCode

from ..smtp_server import free_port
from .helpers import api_user, world


@pytest.fixture(scope="module")
def live_url(settings) -> Iterator[str]:
    """A uvicorn server on a free port serving the app on the test database."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(10)


def _run(monkeypatch, tmp_path, url: str, headers: dict, *args: str):
    monkeypatch.setenv("AIFHUB_URL", url)
    monkeypatch.setenv("AIFHUB_TOKEN", headers["Authorization"].split()[1])
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner().invoke(cli_app, list(args))


async def test_apply_follow_decide_and_allocations_from_the_cli(
    client, db, live_url, monkeypatch, tmp_path
):
    w = await world(client, db)
    run = lambda h, *a: _run(monkeypatch, tmp_path, live_url, h, *a)  # noqa: E731
    r = await asyncio.to_thread(run, w.pi, "modes")
    assert r.exit_code == 0 and "fast-lane" in r.output and "Large Scale" in r.output
    r = await asyncio.to_thread(
        run,
        w.pi,
        "apply",
        "--project",
        w.project,
        "--mode",
        "fast-lane",
        "--title",
        "CLI run",
        "--months",
        "2",
        "--hours",
        "jz/a100=1200",
        "--sector",
        "health",
        "--submit",
        "--json",
    )
    assert r.exit_code == 0, r.output
    app_id = json.loads(r.output)["id"]
    assert json.loads(r.output)["state"] == "checked"
    r = await asyncio.to_thread(run, w.pi, "applications", "list")
    assert r.exit_code == 0 and "CLI run" in r.output and "checked" in r.output
    # Bad input: a clear message, exit 1, no traceback.
    r = await asyncio.to_thread(
        run,
        w.pi,
        "apply",
        "--project",
        w.project,
        "--mode",
        "fast-lane",
        "--title",
        "Too big",
        "--months",
        "2",
        "--hours",
        "jz/a100=90000",
    )
    assert r.exit_code == ExitCode.INVALID and "at most 50000 gpu_hours" in r.output
    r = await asyncio.to_thread(
        run,
        w.pi,
        "apply",
        "--project",
        w.project,
        "--mode",
        "fast-lane",
        "--title",
        "x",
        "--months",
        "2",
        "--hours",
        "jz/a100",
    )
    assert r.exit_code == ExitCode.INVALID and "PARTITION=HOURS" in r.output
    r = await asyncio.to_thread(run, w.pi, "applications", "submit", str(app_id))
    assert r.exit_code == ExitCode.CONFLICT and "409" in r.output and "cannot 'submit'" in r.output
    # Staff assess, a reviewer reviews, staff decide with a reduced amount.
    assert (
        await asyncio.to_thread(run, w.admin, "applications", "assess", str(app_id))
    ).exit_code == 0
    r = await asyncio.to_thread(
        run, w.admin, "applications", "assign", str(app_id), "--reviewer", "rev0-a@factory.eu"
    )
    assert r.exit_code == 0, r.output
    r = await asyncio.to_thread(run, w.reviewers[0], "reviews", "list", "--json")
    review_id = json.loads(r.output)[0]["id"]
    r = await asyncio.to_thread(
        run,
        w.reviewers[0],
        "reviews",
        "submit",
        str(review_id),
        "--score",
        "feasibility=4",
        "--score",
        "quality=4",
        "--score",
        "impact=3",
        "--score",
        "resources=5",
        "--comment",
        "Solid plan.",
    )
    assert r.exit_code == 0 and "submitted" in r.output, r.output
    r = await asyncio.to_thread(
        run,
        w.admin,
        "applications",
        "decide",
        str(app_id),
        "accept",
        "--reason",
        "Good",
        "--grant",
        "jz/a100=1000",
    )
    assert r.exit_code == 0 and "allocated" in r.output, r.output
    r = await asyncio.to_thread(run, w.pi, "allocations", "list", "--json")
    allocs = json.loads(r.output)
    assert len(allocs) == 1 and allocs[0]["balance"]["remaining"] == "1000.0000"
    r = await asyncio.to_thread(run, w.pi, "allocations", "show", str(allocs[0]["id"]))
    assert r.exit_code == 0 and "jz/a100" in r.output
    # The SDK directly.
    with Client(live_url, w.pi["Authorization"].split()[1]) as sdk:
        got = await asyncio.to_thread(sdk.applications.get, app_id)
        assert got.state == "allocated" and str(got.items[0].granted) == "1000.0000"
    stranger = await api_user(db, "who@x.eu")
    r = await asyncio.to_thread(run, stranger, "applications", "show", str(app_id))
    assert r.exit_code == ExitCode.NOT_FOUND and "404" in r.output
