"""`aifhub data push/pull/search` against a real uvicorn server, checksums on both ends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from aifhub.app import create_app
from aifhub.client.output import ExitCode

from .helpers import owner_with_asset

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def server(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/healthz", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    yield url
    srv.should_exit = True
    thread.join(timeout=10)


def _cli(url, token, *args):
    env = {**os.environ, "AIFHUB_URL": url, "AIFHUB_TOKEN": token,
           "PYTHONPATH": str(ROOT / "src"), "XDG_CONFIG_HOME": "/nonexistent"}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "aifhub", "data", *args], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


async def test_push_pull_search(client, db, server, tmp_path):
    h = await owner_with_asset(client, db, access_policy="gated")
    token = h["Authorization"].split()[1]
    src = tmp_path / "src"
    (src / "shards").mkdir(parents=True)
    (src / "README.md").write_text("# data\n")
    (src / "shards" / "part-0.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    r = _cli(server, token, "push", str(src), "--asset", "neuro/mri-small", "--version", "v1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "neuro/mri-small@v1" in r.stdout and "published" in r.stdout
    dest = tmp_path / "dest"
    r = _cli(server, token, "pull", "neuro/mri-small@v1", str(dest))
    assert r.returncode == 0, r.stdout + r.stderr
    for rel in ("README.md", "shards/part-0.bin"):
        assert (dest / rel).read_bytes() == (src / rel).read_bytes()
    # A partial file is resumed with Range and still verified.
    part = dest / "shards" / "part-0.bin"
    data = part.read_bytes()
    part.unlink()
    (dest / "shards" / "part-0.bin.part").write_bytes(data[:1000])
    r = _cli(server, token, "pull", "neuro/mri-small", str(dest))
    assert r.returncode == 0 and part.read_bytes() == data
    r = _cli(server, token, "push", str(src), "--asset", "neuro/mri-small", "--version", "v1")
    assert r.returncode == ExitCode.CONFLICT and "already published" in r.stderr
    r = _cli(server, token, "search", "mri")
    assert r.returncode == 0 and "neuro/mri-small" in r.stdout
    # Someone else without a grant gets the server's explanation.
    from ..factories import api_user

    other = (await api_user(db, "x@y.example"))["Authorization"].split()[1]
    r = _cli(server, other, "pull", "neuro/mri-small", str(tmp_path / "nope"))
    assert r.returncode == ExitCode.FORBIDDEN
    assert "403" in r.stderr and "name the project" in r.stderr
