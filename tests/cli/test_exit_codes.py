"""Exit codes by kind of failure, errors as JSON under --json, and --version."""

from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from aifhub import __version__
from aifhub.cli import app
from aifhub.client.errors import ApiError, NotSignedIn, ServerUnreachable, StateConflict
from aifhub.client.output import ExitCode, exit_code_for

runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("AIFHUB_TOKEN", raising=False)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AIFHUB_URL", f"http://127.0.0.1:{port}")
    return tmp_path


@pytest.mark.parametrize(
    ("status", "code"),
    [(401, 3), (403, 4), (404, 5), (409, 6), (422, 7), (400, 7), (413, 7), (429, 8), (503, 9),
     (500, 9), (418, 1)],
)  # fmt: skip
def test_api_errors_map_to_their_kind(status: int, code: int) -> None:
    assert exit_code_for(ApiError(status, "t", "d")) == code


def test_local_failures_map_to_their_kind() -> None:
    assert exit_code_for(NotSignedIn("x")) == ExitCode.NOT_SIGNED_IN
    assert exit_code_for(ServerUnreachable("u", "r")) == ExitCode.UNAVAILABLE
    assert exit_code_for(StateConflict("x")) == ExitCode.CONFLICT
    assert exit_code_for(ValueError("x")) == ExitCode.INVALID
    assert exit_code_for(OSError("x")) == ExitCode.FAILED


def test_not_signed_in_as_json(home) -> None:
    r = runner.invoke(app, ["projects", "list", "--json"])
    assert r.exit_code == ExitCode.NOT_SIGNED_IN
    body = json.loads(r.stdout)
    assert body["exit_code"] == 3 and "aifhub login" in body["error"]["detail"]


def test_unreachable_server(home, monkeypatch) -> None:
    monkeypatch.setenv("AIFHUB_TOKEN", "aifh_x")
    r = runner.invoke(app, ["data", "search", "mri", "--json"])
    assert r.exit_code == ExitCode.UNAVAILABLE
    assert json.loads(r.stdout)["error"]["title"] == "ServerUnreachable"
    r = runner.invoke(app, ["projects", "list"])
    assert r.exit_code == ExitCode.UNAVAILABLE and "Cannot reach" in r.output


def test_usage_errors_and_version() -> None:
    assert runner.invoke(app, ["projects", "list", "--no-such-option"]).exit_code == 2
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.strip() == f"aifhub {__version__}"
