"""Request bodies: authenticated before a byte is read, capped, and never holding a database
connection while they stream; partial uploads of a killed process are swept at start-up.

The attacks run against a real `aifhub serve` process (uvicorn, a real socket) on the test
database, with a deliberately small connection pool.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.app import create_app
from aifhub.core.config import Settings

from ..catalog.helpers import owner_with_asset
from ..factories import api_user
from ..servers import ServerProcess
from ..servers import start_server as start_aifhub

REPO = Path(__file__).resolve().parents[2]
POOL = 2
# > POOL, and > the 15 (SQLite) or 40 (PostgreSQL) connections of the default pools:
# before the fix each upload held one, so the probes waited for the pool timeout.
SLOW_UPLOADS = 45


@dataclass
class Server:
    process: ServerProcess
    var_dir: Path
    tmp_dir: Path  # the process's TMPDIR: where Starlette would spool multipart files

    @property
    def root(self) -> str:
        return self.process.url

    @property
    def port(self) -> int:
        return self.process.port

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        return self.process.proc

    def store_tmp(self) -> Path:
        return self.var_dir / "objects" / "tmp"


def start_server(database_url: str, base: Path, **env_extra: str) -> Server:
    """A real `aifhub serve` process with a small pool, its own var folder and TMPDIR."""
    var_dir, tmp_dir = base / "var", base / "tmp"
    var_dir.mkdir(parents=True, exist_ok=True)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "AIFHUB_DATABASE_URL": database_url,
        "AIFHUB_VAR_DIR": str(var_dir),
        "AIFHUB_SECRET_KEY": "test-secret",
        "AIFHUB_DB_POOL_SIZE": str(POOL),
        "AIFHUB_DB_MAX_OVERFLOW": "0",
        "AIFHUB_DB_POOL_TIMEOUT_S": "5",
        "TMPDIR": str(tmp_dir),
        "PYTHONPATH": str(REPO / "src"),
        **env_extra,
    }
    return Server(start_aifhub(env, base / "server.log"), var_dir, tmp_dir)


def stop_server(server: Server) -> None:
    server.process.stop()


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per database kind for this module."""
    srv = start_server(database_url, tmp_path_factory.mktemp("srv"))
    yield srv
    stop_server(srv)


async def _draft(client: httpx.AsyncClient, db: AsyncSession) -> dict[str, str]:
    h = await owner_with_asset(client, db)
    r = await client.post(
        "/api/v1/catalog/neuro/mri-small/versions", json={"label": "v1"}, headers=h
    )
    assert r.status_code == 201, r.text
    return h


async def _open_slow_upload(
    server: Server, h: dict[str, str], path: str, data: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Start a PUT that sends its headers and a few bytes, then waits (a trickling client)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    head = (
        f"PUT /api/v1/catalog/neuro/mri-small/versions/v1/files/{path} HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\n"
        f"Authorization: {h['Authorization']}\r\n"
        f"X-Content-SHA256: {hashlib.sha256(data).hexdigest()}\r\n"
        f"Content-Length: {len(data)}\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    writer.write(head.encode() + data[:10])
    await writer.drain()
    return reader, writer


async def _finish(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rest: bytes) -> int:
    writer.write(rest)
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 30)
    writer.close()
    return int(status_line.split()[1])


async def _timed_get(root: str, path: str) -> tuple[int, float]:
    async with httpx.AsyncClient(timeout=30) as c:
        t0 = time.monotonic()
        r = await c.get(root + path)
        return r.status_code, time.monotonic() - t0


@pytest.mark.slow
async def test_slow_uploads_do_not_exhaust_the_connection_pool(
    server: Server, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    h = await _draft(client, db)
    data = os.urandom(4096)
    conns = [await _open_slow_upload(server, h, f"part-{i}.bin", data) for i in range(SLOW_UPLOADS)]
    await asyncio.sleep(1.5)  # every upload is now past authentication, streaming
    # The pool has 2 connections and 45 uploads are in flight: probes must still answer fast.
    (health, t_health), (listing, t_list) = await asyncio.gather(
        _timed_get(server.root, "/healthz"), _timed_get(server.root, "/api/v1/catalog")
    )
    statuses = await asyncio.gather(*(_finish(r, w, data[10:]) for r, w in conns))
    assert (health, listing) == (200, 200), (health, t_health, listing, t_list)
    assert t_health < 2 and t_list < 2, (t_health, t_list)
    assert statuses == [201] * SLOW_UPLOADS
    r = await client.get("/api/v1/catalog/neuro/mri-small/versions/v1", headers=h)
    assert len(r.json()["files"]) == SLOW_UPLOADS


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


@pytest.mark.slow
async def test_anonymous_large_multipart_is_refused_before_any_byte_reaches_disk(
    server: Server, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    boundary = "xyzzy"
    head = (
        "POST /api/v1/tickets/1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {1024**3}\r\n\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="files"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    writer.write(head)
    sent = 0
    try:
        # 8 MiB of the announced gigabyte: enough for a parser to spool a file to disk.
        while sent < 8 * 1024**2:
            writer.write(b"A" * 65536)
            await writer.drain()
            sent += 65536
    except ConnectionError:
        pass  # the server answered and closed: exactly what we want
    await asyncio.sleep(0.5)
    spooled = _files_under(server.tmp_dir) + _files_under(server.store_tmp())
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert spooled == []
    assert int(status_line.split()[1]) == 401


async def test_json_body_over_the_limit_is_413_naming_the_limit(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    h = await api_user(db, "big@example.eu")
    limit = settings.max_body_bytes
    body = b'{"slug": "x", "name": "' + b"a" * (limit + 10) + b'"}'
    r = await client.post(
        "/api/v1/organisations",
        content=body,
        headers={**h, "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert str(limit) in r.json()["detail"]


async def test_chunked_body_over_the_limit_is_counted_as_it_streams(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    h = await api_user(db, "chunky@example.eu")
    limit = settings.max_body_bytes
    consumed = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal consumed
        yield b'{"slug": "x", "name": "'
        for _ in range(limit // 65536 + 4):
            consumed += 65536
            yield b"a" * 65536
        yield b'"}'

    r = await client.post(
        "/api/v1/organisations", content=chunks(), headers={**h, "Content-Type": "application/json"}
    )
    assert r.status_code == 413, r.text
    assert str(limit) in r.json()["detail"]


async def test_anonymous_json_post_is_401_and_sign_in_form_still_works(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    r = await client.post("/api/v1/organisations", json={"slug": "anon", "name": "A"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    await api_user(db, "ok@example.eu")
    r = await client.post(
        "/api/v1/tokens/login",
        json={"email": "ok@example.eu", "password": "correct horse battery", "name": "t"},
    )
    assert r.status_code != 401, r.text
    r = await client.post("/api/v1/tokens/login", content=b"x" * (1024**2))
    assert r.status_code == 413


@pytest.mark.slow
async def test_partial_upload_of_a_killed_process_is_swept_at_restart(
    database_url: str, tmp_path: Path, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    srv = start_server(database_url, tmp_path)
    try:
        h = await _draft(client, db)
        reader, writer = await _open_slow_upload(srv, h, "big.bin", os.urandom(1 << 20))
        deadline = time.monotonic() + 10
        while not _files_under(srv.store_tmp()) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # polling another process's files
        left = _files_under(srv.store_tmp())
        assert len(left) == 1
        os.killpg(srv.proc.pid, signal.SIGKILL)  # kill -9 mid-upload
        srv.proc.wait(timeout=10)
        writer.close()
        assert left[0].exists()  # the dead writer's temp file is still there
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()
        srv.process.log.close()
    # An hour and more without a write: abandoned. A fresh temp file may be another live
    # process's upload on the same store: kept.
    old = time.time() - 2 * 3600
    os.utime(left[0], (old, old))
    live = srv.store_tmp() / "upload-live"
    live.write_bytes(b"in progress")
    srv2 = start_server(database_url, tmp_path)
    try:
        assert not left[0].exists()
        assert live.exists()
    finally:
        stop_server(srv2)


async def test_store_sweeps_stale_temp_files_at_start_up(
    tmp_path: Path, settings: Settings
) -> None:
    own = settings.model_copy(update={"var_dir": tmp_path})
    tmp = tmp_path / "objects" / "tmp"
    tmp.mkdir(parents=True)
    stale, fresh = tmp / "upload-dead", tmp / "upload-live"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    old = time.time() - own.stale_upload_s - 60
    os.utime(stale, (old, old))
    app = create_app(own, check_schema=False)
    async with app.router.lifespan_context(app):
        pass
    assert not stale.exists()
    assert fresh.exists()
