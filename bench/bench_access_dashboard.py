"""Benchmark: the staff access dashboard on 20,000 applications and 5,000 allocations.

    .venv/bin/python bench/bench_access_dashboard.py            # SQLite file in a temp dir
    AIFHUB_BENCH_DATABASE_URL=postgresql://... .venv/bin/python bench/bench_access_dashboard.py

Prints the time of the dashboard API call (and of the list endpoints) and the SQL query
count of each call, which does not depend on the number of rows.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import event, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from aifhub.access.models import AccessMode, Allocation, Application  # noqa: E402
from aifhub.access.modes import modes_from_site, sync_modes  # noqa: E402
from aifhub.access.workflow import ALL_STATES  # noqa: E402
from aifhub.app import create_app  # noqa: E402
from aifhub.core.config import Settings  # noqa: E402
from aifhub.core.db import make_engine, make_sessionmaker, utcnow  # noqa: E402
from aifhub.core.migrate import upgrade  # noqa: E402
from aifhub.identity import credentials
from aifhub.identity.models import Organisation, Project  # noqa: E402
from aifhub.identity.service import create_user  # noqa: E402
from aifhub.resources.models import Cluster, Partition
from aifhub.schemas import identity as schemas

APPLICATIONS, ALLOCATIONS, PROJECTS = 20_000, 5_000, 200


async def seed(url: str, settings: Settings) -> str:
    """Bulk rows; returns an admin API token."""
    rng = random.Random(7)
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as s:
        admin = await create_user(
            s, email="admin@bench.eu", name="Admin", password=None, staff_roles=["admin"]
        )
        _, token = await credentials.create_token(
            s, admin, data=schemas.TokenCreate(name="bench", scopes=["read", "write"])
        )
        await sync_modes(s, modes_from_site(settings.load_site()))
        cluster = Cluster(name="jz", backend="local")
        s.add(cluster)
        await s.flush()
        part = Partition(
            cluster_id=cluster.id,
            name="a100",
            key="jz/a100",
            unit="gpu_hours",
            charge_factor=Decimal(2),
        )
        s.add(part)
        org = Organisation(slug="bench", name="Bench", kind="startup", country="FR", sectors=[])
        s.add(org)
        await s.flush()
        await s.execute(
            insert(Project),
            [
                {"slug": f"p{i}", "name": f"P{i}", "org_id": org.id, "sector": "health"}
                for i in range(PROJECTS)
            ],
        )
        project_ids = list(await s.scalars(select(Project.id)))
        mode_ids = list(await s.scalars(select(AccessMode.id)))
        now = utcnow()
        rows = []
        for i in range(APPLICATIONS):
            submitted = now - timedelta(days=rng.uniform(1, 700))
            state = rng.choice(ALL_STATES)
            decided = state in ("accepted", "rejected", "allocated")
            rows.append(
                {
                    "project_id": rng.choice(project_ids),
                    "mode_id": rng.choice(mode_ids),
                    "state": state,
                    "title": f"application {i}",
                    "sector": "health",
                    "duration_months": 3,
                    "submitted_at": None if state == "draft" else submitted,
                    "due_date": None
                    if state == "draft"
                    else (submitted + timedelta(days=6)).date(),
                    "decided_at": submitted + timedelta(days=rng.uniform(0.2, 15))
                    if decided
                    else None,
                }
            )
        for start in range(0, len(rows), 2000):
            await s.execute(insert(Application), rows[start : start + 2000])
        allocs = [
            {
                "project_id": rng.choice(project_ids),
                "partition_id": part.id,
                "amount": Decimal(rng.randint(100, 50_000)),
                "starts_at": now - timedelta(days=30),
                "ends_at": now + timedelta(days=60),
                "state": "active",
            }
            for _ in range(ALLOCATIONS)
        ]
        await s.execute(insert(Allocation), allocs)
        await s.commit()
    await engine.dispose()
    return token


async def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="aifhub-bench-"))
    url = os.environ.get("AIFHUB_BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    settings = Settings(
        database_url=url, var_dir=tmp, secret_key="bench", run_worker_in_process=False
    )
    url = settings.resolved_database_url()
    await asyncio.to_thread(upgrade, url)
    t0 = time.perf_counter()
    token = await seed(url, settings)
    print(
        f"seeded {APPLICATIONS} applications, {ALLOCATIONS} allocations "
        f"in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})"
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        queries: list[str] = []
        event.listen(
            app.state.engine.sync_engine, "before_cursor_execute", lambda *a: queries.append(a[2])
        )
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for path in (
                "/api/v1/staff/access-dashboard",
                "/api/v1/applications?limit=100",
                "/api/v1/allocations?limit=500",
            ):
                await client.get(path, headers=headers)  # warm-up
                times, counts = [], []
                for _ in range(5):
                    queries.clear()
                    start = time.perf_counter()
                    r = await client.get(path, headers=headers)
                    times.append(time.perf_counter() - start)
                    counts.append(len(queries))
                    assert r.status_code == 200, r.text
                print(
                    f"GET {path:38} median {statistics.median(times) * 1000:7.1f} ms  "
                    f"SQL queries {counts[0]}"
                )
            body = (await client.get("/api/v1/staff/access-dashboard", headers=headers)).json()
            for m in body["modes"]:
                print(
                    f"  {m['mode']:18} submitted {m['submitted']:5} open {m['open']:5} "
                    f"late {m['late']:5} median {m['median_days']} d  p90 {m['p90_days']} d"
                )


if __name__ == "__main__":
    asyncio.run(main())
