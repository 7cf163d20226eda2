"""GET /api/v1/projects under load: a real server, 50 concurrent clients, SQLite and PostgreSQL.

    PYTHONPATH=src python bench/bench_projects_api.py [--seconds 10] [--clients 50]
        [--databases sqlite,postgresql] [--orgs 1000 --projects 5000 --users 20000]

Seeds the database in bulk (bench/seed.py), starts `aifhub serve --no-worker` (one process),
then hammers the listing as a member of 10 organisations / 50 projects and as a staff user
who sees all projects. Prints requests/s and p50/p99 latency. PostgreSQL is a private server
(tests/pg.py) unless AIFHUB_BENCH_POSTGRES_URL names one.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import SeedSpec, postgres_database, seed_identity, server, sqlite_database  # noqa: E402

from aifhub.core.migrate import upgrade  # noqa: E402


async def hammer(
    base: str, token: str, path: str, *, clients: int, seconds: float, server_pid: int
) -> dict:
    """`clients` loops sending GET path for `seconds`; latencies in milliseconds.

    Also the server process's CPU time per request: on a shared machine, throughput and
    latency follow the neighbours' load, the CPU cost of a request does not.
    """
    server_proc = psutil.Process(server_pid)
    latencies: list[float] = []
    errors = dropped = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:
        first = (await c.get(path)).json()  # warm up, and see what comes back
        deadline = time.perf_counter() + seconds

        async def loop() -> None:
            nonlocal errors, dropped
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    r = await c.get(path)
                except httpx.TransportError:
                    # A keep-alive connection the server closed as we reused it: counted.
                    dropped += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    errors += 1

        t0 = time.perf_counter()
        cpu0 = server_proc.cpu_times()
        await asyncio.gather(*(loop() for _ in range(clients)))
        elapsed = time.perf_counter() - t0
        cpu1 = server_proc.cpu_times()
    cpu_s = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "errors": errors,
        "dropped": dropped,
        "cpu_ms": cpu_s * 1000 / max(len(latencies), 1),
        "items": len(first["items"]),
        "total": first["total"],
    }


def run_one(kind: str, url: str, args: argparse.Namespace) -> None:
    upgrade(url)
    spec = SeedSpec(orgs=args.orgs, projects=args.projects, users=args.users)
    seeded = asyncio.run(seed_identity(url, spec))
    print(f"[{kind}] seeded {seeded.counts} in {seeded.seconds:.1f} s", flush=True)
    log = Path(tempfile.gettempdir()) / f"aifhub-bench-{kind}.log"
    with server(url, log=log) as (base, proc, ready):
        print(f"[{kind}] server ready in {ready:.2f} s (log: {log})", flush=True)
        for who, token in (("member", seeded.member_token), ("staff", seeded.staff_token)):
            for path in args.paths:
                res = asyncio.run(
                    hammer(
                        base,
                        token,
                        path,
                        clients=args.clients,
                        seconds=args.seconds,
                        server_pid=proc.pid,
                    )
                )
                print(
                    f"[{kind}] {who:6} GET {path:<28} {res['rps']:7.1f} req/s  "
                    f"p50 {res['p50']:6.1f} ms  p99 {res['p99']:6.1f} ms  "
                    f"server CPU {res['cpu_ms']:5.2f} ms/req  "
                    f"({res['requests']} requests, {res['errors']} errors, "
                    f"{res['dropped']} dropped, "
                    f"page {res['items']} of {res['total']})",
                    flush=True,
                )


def _load() -> str:
    return f"load average {psutil.getloadavg()[0]:.1f} on {psutil.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--orgs", type=int, default=1_000)
    parser.add_argument("--projects", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--paths", nargs="+", default=["/api/v1/projects", "/api/v1/organisations"])
    args = parser.parse_args()
    print(f"start: {_load()}", flush=True)
    for kind in args.databases.split(","):
        if kind == "sqlite":
            with sqlite_database() as url:
                run_one(kind, url, args)
        elif kind == "postgresql":
            with postgres_database() as url:
                run_one(kind, url, args)
        else:
            parser.error(f"unknown database kind {kind!r} (sqlite, postgresql)")


if __name__ == "__main__":
    main()
    print(f"end: {_load()}")
