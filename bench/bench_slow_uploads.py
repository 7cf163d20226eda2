"""Does a crowd of slow uploads starve everyone else? /healthz and an API read, measured on
a real server while N clients trickle catalogue uploads, against the same server idle.

    python bench/bench_slow_uploads.py --uploads 50 --pool 5 [--database-url postgresql://...]

Before the request-body work, each upload held a database connection while its bytes
streamed: with more slow uploads than pool connections, every other request waited for the
pool timeout (healthz 503). The figure is the ratio of the loaded latency to the idle one
(1.0 = the uploads cost the others nothing), and whether every upload still completes.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from aifhub.core.config import Settings  # noqa: E402
from aifhub.core.db import make_engine, make_sessionmaker  # noqa: E402
from aifhub.core.migrate import upgrade  # noqa: E402

PAYLOAD = os.urandom(256 * 1024)
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


async def _setup(settings: Settings) -> str:
    from aifhub.catalog import assets
    from aifhub.identity import credentials, service
    from aifhub.schemas import catalog as schemas
    from aifhub.schemas import identity as ischemas

    engine = make_engine(settings.resolved_database_url())
    async with make_sessionmaker(engine)() as s:
        try:
            user = await service.create_user(
                s, email="bench@x.eu", name="Bench", password=None, email_verified=True
            )
        except TypeError:  # a revision from before e-mail verification (a "before" run)
            user = await service.create_user(s, email="bench@x.eu", name="Bench", password=None)
        await service.create_org(s, user, data=ischemas.OrganisationCreate(
            slug="bench", name="Bench", kind="sme", country="FR"))  # fmt: skip
        await assets.create_asset(s, user, data=schemas.AssetCreate(
            kind="dataset", organisation="bench", slug="bench/many", name="Many",
            license="mit"))  # fmt: skip
        _, secret = await credentials.create_token(
            s, user, data=ischemas.TokenCreate(name="bench", scopes=["read", "write"])
        )
        await s.commit()
    await engine.dispose()
    return secret


async def _latencies(base: str, token: str, n: int) -> tuple[list[float], list[float], int]:
    """n sequential /healthz and n GET /api/v1/catalog; (healthz s, catalog s, errors)."""
    health, reads, errors = [], [], 0
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        for _ in range(n):
            t = time.perf_counter()
            r = await c.get("/healthz")
            health.append(time.perf_counter() - t)
            errors += r.status_code != 200
            t = time.perf_counter()
            r = await c.get("/api/v1/catalog", headers={"Authorization": f"Bearer {token}"})
            reads.append(time.perf_counter() - t)
            errors += r.status_code != 200
    return health, reads, errors


async def _slow_uploads(port: int, token: str, count: int, hold_s: float) -> tuple[int, float]:
    """Open `count` uploads that send their headers and 10 bytes, wait, then finish them."""
    conns = []
    for i in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            f"PUT /api/v1/catalog/bench/many/versions/v1/files/f{i}.bin HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"X-Content-SHA256: {DIGEST}\r\nContent-Length: {len(PAYLOAD)}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        writer.write(head.encode() + PAYLOAD[:10])
        await writer.drain()
        conns.append((reader, writer))
    await asyncio.sleep(hold_s)
    t = time.perf_counter()
    created = 0
    for _reader, writer in conns:
        writer.write(PAYLOAD[10:])
        await writer.drain()
    for reader, writer in conns:
        status = await reader.readline()
        created += b" 201 " in status
        writer.close()
    return created, time.perf_counter() - t


async def _held_connections(url: str) -> str:
    """PostgreSQL: connections of this database sitting in an open transaction right now."""
    if not url.startswith("postgresql"):
        return "n/a (SQLite)"
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'idle in transaction'"
        )
    finally:
        await conn.close()
    return str(count)


async def _run(base: str, port: int, token: str, uploads: int, probes: int, url: str) -> None:
    idle_h, idle_r, idle_err = await _latencies(base, token, probes)
    # The uploads stay open for as long as the loaded probes take (measured idle, x3 margin).
    hold = max(2.0, 3 * (sum(idle_h) + sum(idle_r)))
    task = asyncio.create_task(_slow_uploads(port, token, uploads, hold))
    await asyncio.sleep(1.0)  # every upload has sent its headers
    held = await _held_connections(url)
    load_h, load_r, load_err = await _latencies(base, token, probes)
    created, finish_s = await task

    def p(xs: list[float], q: float) -> float:
        return statistics.quantiles(xs, n=100)[q - 1] * 1000 if len(xs) > 1 else xs[0] * 1000

    print(f"{uploads} slow uploads open while {probes} probes of each kind ran")
    for name, idle, load in (("GET /healthz", idle_h, load_h), ("GET /api/v1/catalog", idle_r,
                             load_r)):  # fmt: skip
        print(f"{name:22s} idle p50 {p(idle, 50):6.1f} ms p99 {p(idle, 99):6.1f} ms | "
              f"loaded p50 {p(load, 50):6.1f} ms p99 {p(load, 99):6.1f} ms | "
              f"ratio p50 {p(load, 50) / p(idle, 50):.2f}")  # fmt: skip
    print(f"connections held in a transaction by the waiting uploads: {held}")
    print(f"errors: idle {idle_err}, loaded {load_err}")
    print(f"uploads completed 201: {created}/{uploads} (finishing took {finish_s:.2f} s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uploads", type=int, default=50)
    ap.add_argument("--pool", type=int, default=5, help="pool size, no overflow")
    ap.add_argument("--probes", type=int, default=100)
    ap.add_argument("--database-url", default=None, help="an empty PostgreSQL database")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-slow-uploads-"))
    server = None
    try:
        var = work / "var"
        var.mkdir()
        url = args.database_url or f"sqlite+aiosqlite:///{var / 'aifhub.db'}"
        upgrade(url)
        settings = Settings(database_url=url, var_dir=var, secret_key="bench")
        token = asyncio.run(_setup(settings))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "AIFHUB_DATABASE_URL": url,
               "AIFHUB_VAR_DIR": str(var), "AIFHUB_SECRET_KEY": "bench",
               "AIFHUB_RUN_WORKER_IN_PROCESS": "0", "AIFHUB_DB_POOL_SIZE": str(args.pool),
               "AIFHUB_DB_MAX_OVERFLOW": "0", "AIFHUB_DB_POOL_TIMEOUT_S": "30"}  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "aifhub.app:create_app", "--factory",
             "--port", str(port), "--log-level", "warning"], env=env)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}"}
        httpx.post(f"{base}/api/v1/catalog/bench/many/versions", json={"label": "v1"},
                   headers=headers).raise_for_status()  # fmt: skip
        print(f"database: {url.split('://')[0]}, pool {args.pool} (no overflow)")
        asyncio.run(_run(base, port, token, args.uploads, args.probes, url))
    finally:
        if server:
            server.terminate()
            server.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
