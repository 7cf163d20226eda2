"""Accounting ingest: sacct output -> ledger for 100,000 job records, and the exactness check.

    PYTHONPATH=src .venv/bin/python bench/bench_compute_accounting.py [--records 100000]
        [--database-url postgresql://...]

Generates sacct -P output (the exact format SlurmBackend.accounting parses) for jobs of 200
projects run directly on a Slurm cluster, parses it with backends.slurm.sbatch.parse_sacct, and
charges it through compute.accounting.ingest_records in batches of 10,000 per transaction.
Then: the ledger total must equal the total computed independently from the raw sacct
fields, a second ingest of the same records must add nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from aifhub.access.models import Allocation, LedgerEntry
from aifhub.backends.slurm.sbatch import SACCT_DELIMITER, parse_sacct
from aifhub.compute.accounting import ingest_records
from aifhub.core.config import SiteConfig
from aifhub.core.db import make_engine, make_sessionmaker
from aifhub.core.migrate import upgrade
from aifhub.identity.models import Organisation, Project
from aifhub.resources.models import Cluster, Partition
from aifhub.resources.site import sync_site

SITE = {
    "clusters": [
        {
            "name": "jz",
            "backend": "slurm",
            "account_format": "{project}@jz",
            "partitions": [
                {"name": "gpu_p5", "accelerator": "A100", "gpus_per_node": 8, "charge_factor": "2"},
                {"name": "cpu_p1", "cores_per_node": 40, "charge_factor": "1"},
            ],
        }
    ]
}
FACTORS = {"gpu_p5": (Decimal(2), "gpu"), "cpu_p1": (Decimal(1), "cpu")}


def sacct_text(n: int, projects: int, seed: int = 7) -> str:
    """n lines of `sacct -X -P -n -o SACCT_FIELDS` output, ended jobs of the projects."""
    rnd = random.Random(seed)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    lines = []
    for i in range(n):
        part = "gpu_p5" if i % 3 else "cpu_p1"
        start = t0 + timedelta(seconds=rnd.randrange(0, 20 * 86400))
        elapsed = rnd.randrange(0, 86400)
        gpus = rnd.choice((1, 2, 4, 8)) if part == "gpu_p5" else 0
        cpus = gpus * 5 if gpus else rnd.choice((1, 4, 40))
        tres = f"billing={cpus},cpu={cpus},mem=4G,node=1" + (f",gres/gpu={gpus}" if gpus else "")
        state = rnd.choice(("COMPLETED", "COMPLETED", "FAILED", "TIMEOUT", "CANCELLED by 0"))
        end = start + timedelta(seconds=elapsed)
        fields = [
            str(100000 + i), f"p{i % projects}@jz", f"u{i % 977}", part, state,
            start.strftime("%Y-%m-%dT%H:%M:%S"), start.strftime("%Y-%m-%dT%H:%M:%S"),
            end.strftime("%Y-%m-%dT%H:%M:%S"), str(elapsed), tres, f"run{i}", "",
        ]  # fmt: skip
        lines.append(SACCT_DELIMITER.join(fields))
    return "\n".join(lines) + "\n"


def expected_total(text: str) -> Decimal:
    """The total from the raw sacct fields: sum of round(elapsed x units x factor / 3600, 4)."""
    total = Decimal(0)
    for line in text.splitlines():
        f = line.split(SACCT_DELIMITER)
        factor, kind = FACTORS[f[3]]
        tres = dict(item.split("=") for item in f[9].split(","))
        units = int(tres.get("gres/gpu", 0)) if kind == "gpu" else int(tres["cpu"])
        total += (Decimal(int(f[8])) * units * factor / 3600).quantize(Decimal("0.0001"))
    return total


async def setup(url: str, projects: int) -> tuple:
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    async with maker() as s:
        await sync_site(s, SiteConfig.model_validate(SITE))
        org = Organisation(slug="bench-org", name="Bench", kind="startup", country="FR")
        s.add(org)
        await s.flush()
        parts = list(await s.scalars(select(Partition)))
        for i in range(projects):
            p = Project(slug=f"p{i}", name=f"P{i}", org_id=org.id, sector="health")
            s.add(p)
            await s.flush()
            for part in parts:
                s.add(Allocation(project_id=p.id, partition_id=part.id, amount=Decimal(10**7),
                                 starts_at=datetime(2026, 10, 1, tzinfo=UTC),
                                 ends_at=datetime(2027, 10, 1, tzinfo=UTC), state="active"))  # fmt: skip  # noqa: E501
        await s.commit()
    return engine, maker


async def main(url: str, args: argparse.Namespace) -> None:
    engine, maker = await setup(url, args.projects)
    text = sacct_text(args.records, args.projects)
    t0 = time.perf_counter()
    records = parse_sacct(text)
    t_parse = time.perf_counter() - t0
    async with maker() as s:
        cluster = await s.scalar(select(Cluster).where(Cluster.name == "jz"))
    t1 = time.perf_counter()
    charged = 0
    for i in range(0, len(records), args.batch):
        async with maker() as s:
            result = await ingest_records(s, cluster, records[i : i + args.batch])
            await s.commit()
            charged += result.charged
    t_ingest = time.perf_counter() - t1
    t2 = time.perf_counter()
    async with maker() as s:
        again = await ingest_records(s, cluster, records)
        await s.commit()
    t_again = time.perf_counter() - t2
    async with maker() as s:
        ledger = await s.scalar(
            select(func.sum(LedgerEntry.amount)).where(LedgerEntry.kind == "charge")
        )
        rows = await s.scalar(select(func.count()).select_from(LedgerEntry))
    expected = expected_total(text)
    print(f"database: {url.split('://')[0]}  records: {len(records)}")
    print(f"parse sacct output: {t_parse:.2f} s ({len(records) / t_parse:,.0f} records/s)")
    print(
        f"ingest into ledger: {t_ingest:.2f} s ({charged / t_ingest:,.0f} records/s), {charged} charged"  # noqa: E501
    )
    print(
        f"re-ingest same records: {t_again:.2f} s, {again.charged} new charges, {again.already} already"  # noqa: E501
    )
    print(
        f"ledger rows: {rows}; ledger total {Decimal(ledger):.4f} h; sacct total {expected:.4f} h"
    )
    print("EXACT" if Decimal(ledger) == expected and again.charged == 0 else "MISMATCH")
    await engine.dispose()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-compute-")
    url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.split("://", 1)[1]
    upgrade(url)  # alembic runs its own event loop: before ours
    asyncio.run(main(url, args))
