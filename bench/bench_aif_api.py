"""Submissions/s through the AI:AT `ai-factory-sdk` (/compute-api/v1) vs the platform's own
POST /api/v1/jobs, against the same real server in the same run.

    PYTHONPATH=src python bench/bench_aif_api.py [--jobs 200] [--rounds 3]

Starts `aifhub serve --no-worker` on a migrated SQLite file (jobs stay queued: this measures
the API, the checks, the reservation and the commit, not the backend), seeds one user with a
token, a project and an allocation, then submits the same 1-minute `true` job in rounds that
alternate the two ways (and which goes first), one client each, sequential (as a user's
script does). Prints jobs/s of each, the server's and the client's CPU time per submission
(steadier than wall time on a shared machine), and the ratio SDK / platform.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psutil
from ai_factory.sdk import AIFactoryClient, JobRequest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed import server, sqlite_database  # noqa: E402

from aifhub.access.models import Allocation  # noqa: E402
from aifhub.core.db import make_engine, make_sessionmaker, utcnow  # noqa: E402
from aifhub.core.migrate import upgrade  # noqa: E402
from aifhub.identity import credentials  # noqa: E402
from aifhub.identity.models import Project  # noqa: E402
from aifhub.identity.service import create_user  # noqa: E402
from aifhub.resources.models import Partition  # noqa: E402
from aifhub.schemas.identity import TokenCreate  # noqa: E402

EMAIL = "bench@aif.example"


async def seed_user(url: str) -> str:
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        user = await create_user(
            session, email=EMAIL, name="Bench", password="bench-password-1", email_verified=True
        )
        data = TokenCreate(name="bench", scopes=["read", "write"])
        _, secret = await credentials.create_token(session, user, data=data)
        await session.commit()
    await engine.dispose()
    return secret


async def grant(url: str, slug: str) -> None:
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        project = await session.scalar(select(Project).where(Project.slug == slug))
        partition = await session.scalar(select(Partition).where(Partition.key == "local/cpu"))
        assert project is not None and partition is not None
        now = utcnow()
        session.add(
            Allocation(
                project_id=project.id,
                partition_id=partition.id,
                amount=Decimal(10_000_000),
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=30),
                state="active",
            )
        )
        await session.commit()
    await engine.dispose()


def timed(
    n: int, submit: Callable[[int], None], proc: psutil.Process
) -> tuple[float, float, float]:
    """(jobs/s, server CPU ms per job, client CPU ms per job) of n sequential submissions."""
    cpu0 = proc.cpu_times()
    client0 = time.process_time()
    t0 = time.perf_counter()
    for i in range(n):
        submit(i)
    elapsed = time.perf_counter() - t0
    client_ms = (time.process_time() - client0) * 1000 / n
    cpu1 = proc.cpu_times()
    cpu_ms = ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) * 1000 / n
    return n / elapsed, cpu_ms, client_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="submissions per way and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with sqlite_database() as url:
        upgrade(url)
        token = asyncio.run(seed_user(url))
        with server(url) as (base, proc, _):
            auth = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=f"{base}/api/v1", headers=auth, timeout=60) as api:
                org = {"slug": "bench", "name": "Bench", "kind": "startup", "country": "FR",
                       "sectors": ["health"]}  # fmt: skip
                assert api.post("/organisations", json=org).status_code == 201
                body = {"slug": "bench-p", "name": "Bench", "organisation": "bench",
                        "sector": "health"}  # fmt: skip
                assert api.post("/projects", json=body).status_code == 201
                asyncio.run(grant(url, "bench-p"))
                sdk = AIFactoryClient(base_url=f"{base}/compute-api/v1", token=token,
                                      slurm_user=EMAIL)  # fmt: skip
                job = {"project": "bench-p", "partition": "local/cpu", "script": "true",
                       "time_limit": "1m"}  # fmt: skip

                def by_sdk(i: int) -> None:
                    request = JobRequest(name=f"sdk{i}", script="true", partition="cpu",
                                         time_limit=1)  # fmt: skip
                    assert sdk.submit_job(request).job_id is not None

                def by_platform(i: int) -> None:
                    r = api.post("/jobs", json={**job, "name": f"api{i}"})
                    assert r.status_code == 201, r.text

                server_proc = psutil.Process(proc.pid)
                timed(5, by_sdk, server_proc)  # warm up both paths
                timed(5, by_platform, server_proc)
                results: dict[str, list[tuple[float, float, float]]] = {
                    "sdk": [],
                    "platform": [],
                }
                ways = {"sdk": by_sdk, "platform": by_platform}
                for r in range(args.rounds):
                    # Each way goes first every other round: neither always meets a larger table.
                    for way in ("sdk", "platform") if r % 2 == 0 else ("platform", "sdk"):
                        results[way].append(timed(args.jobs, ways[way], server_proc))
                sdk.close()
    rates = {k: statistics.median(r[0] for r in v) for k, v in results.items()}
    cpu = {k: statistics.median(r[1] for r in v) for k, v in results.items()}
    client = {k: statistics.median(r[2] for r in v) for k, v in results.items()}
    for way in ("sdk", "platform"):
        print(f"{way:9s} {rates[way]:7.1f} jobs/s   server CPU {cpu[way]:5.1f} ms/job   "
              f"client CPU {client[way]:4.1f} ms/job "
              f"(median of {args.rounds} rounds of {args.jobs})")  # fmt: skip
    print(f"ratio SDK/platform: {rates['sdk'] / rates['platform']:.2f} (jobs/s), "
          f"{cpu['sdk'] / cpu['platform']:.2f} (server CPU per job)")  # fmt: skip


if __name__ == "__main__":
    main()
