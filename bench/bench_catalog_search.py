"""Search latency (p50/p95) of the catalogue's search service over N assets.

    python bench/bench_catalog_search.py --db sqlite --n 1000000
    python bench/bench_catalog_search.py --db postgresql --n 1000000   # private server

Builds a fresh, migrated database, bulk-inserts N assets with core SQL (the full-text index
is kept by the migration's triggers on SQLite; on PostgreSQL the GIN index is dropped during
the load and rebuilt, as one does for a bulk load), then times `search_assets` (what the API
and the page call: a page of 20, the total and the facet counts) for a mix of queries.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from aifhub.catalog.models import Asset  # noqa: E402
from aifhub.catalog.search import SearchFilters, search_assets  # noqa: E402
from aifhub.core.db import make_engine, make_sessionmaker  # noqa: E402
from aifhub.core.migrate import upgrade  # noqa: E402
from aifhub.identity.models import Organisation  # noqa: E402

WORDS = (
    "french medical model dataset speech vision segmentation translation legal finance "
    "energy wind solar climate satellite radar aircraft engine turbulence protein molecule "
    "genome chemistry materials battery robot grasping driving traffic agriculture crop soil "
    "weather ocean seismic audio music speech dialogue instruction chat code python summarise "
    "question answering retrieval embedding multilingual breton occitan basque german spanish "
    "italian dutch polish mri scan lung heart tumour pathology radiology clinical notes"
).split()
LANGS = ["fr", "en", "de", "es", "it", "nl", "pl", "pt", "br", "eu", "oc"]
SECTORS = ["health", "aeronautics", "energy", "materials", "robotics", "agronomy", "mobility"]
LICENSES = ["apache-2.0", "mit", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "odc-by", "other"]
TASKS = ["text-generation", "fill-mask", "image-segmentation", "automatic-speech-recognition",
         "translation", "tabular-regression", "time-series-forecasting"]  # fmt: skip
QUERIES = [
    ("one word", dict(q="turbulence")),
    ("two words", dict(q="french medical")),
    ("prefix (typing)", dict(q="radi")),
    ("rare word", dict(q="occitan grasping")),
    ("facet only", dict(filters=SearchFilters(kind="dataset", language="fr"))),
    ("word + facets", dict(q="satellite", filters=SearchFilters(license="mit", sector="energy"))),
    ("browse newest", dict(sort="updated")),
]


def _rows(start: int, count: int, org_id: int, rng: random.Random) -> list[dict]:
    now = datetime.now(UTC)
    out = []
    for i in range(start, start + count):
        words = rng.choices(WORDS, k=12) + [f"w{rng.randint(0, 50000)}" for _ in range(4)]
        name = " ".join(words[:3]).title()
        summary = " ".join(words[3:])
        kind = "dataset" if i % 2 else "model"
        slug = f"org{i % 997}/asset-{i}"
        out.append(
            dict(
                kind=kind,
                org_id=org_id,
                slug=slug,
                name=name,
                summary=summary,
                card="",
                license=rng.choice(LICENSES),
                license_name="x" if False else None,
                tags=rng.sample(WORDS, 3),
                task=rng.choice(TASKS),
                languages=rng.sample(LANGS, rng.randint(1, 3)),
                sectors=rng.sample(SECTORS, rng.randint(1, 2)),
                training_datasets=[],
                metrics=[],
                citation="",
                access_policy=rng.choice(["open", "open", "gated"]),
                policy_rules={},
                gate_questions=[],
                grant_days=365,
                sovereignty=rng.choice(["eu", "eu_hosted", "non_eu"]),
                search_text=f"{name}\n{slug}\n{summary}",
                downloads=rng.randint(0, 10000),
                created_at=now,
                updated_at=now - timedelta(seconds=i),
            )  # fmt: skip
        )
    return out


async def build(url: str, n: int, dialect: str) -> float:
    engine = make_engine(url)
    t0 = time.perf_counter()
    async with engine.begin() as conn:
        org = await conn.execute(
            insert(Organisation.__table__).values(
                slug="bench",
                name="Bench",
                kind="sme",
                country="FR",
                sectors=[],
                created_at=datetime.now(UTC),
            )  # fmt: skip
        )
        org_id = org.inserted_primary_key[0]
        if dialect == "postgresql":
            await conn.execute(text("DROP INDEX catalog_search_gin"))
    rng = random.Random(42)
    batch = 20_000
    for start in range(0, n, batch):
        async with engine.begin() as conn:
            await conn.execute(
                insert(Asset.__table__), _rows(start, min(batch, n - start), org_id, rng)
            )
        print(f"\r  inserted {min(start + batch, n):>9,}", end="", flush=True)
    async with engine.begin() as conn:
        if dialect == "postgresql":
            await conn.execute(text("SET maintenance_work_mem = '512MB'"))
            await conn.execute(
                text(
                    "CREATE INDEX catalog_search_gin ON catalog_assets "
                    "USING gin (catalog_search_vector)"
                )  # fmt: skip
            )
            await conn.execute(text("ANALYZE catalog_assets"))
        else:
            await conn.execute(text("ANALYZE"))
    await engine.dispose()
    print()
    return time.perf_counter() - t0


async def measure(url: str, rounds: int) -> None:
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    print(f"  {'query':<18} {'p50 ms':>8} {'p95 ms':>8} {'hits':>10}")
    async with maker() as session:
        for label, kw in QUERIES:
            times = []
            for _ in range(rounds):
                t = time.perf_counter()
                result = await search_assets(session, **kw)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(f"  {label:<18} {statistics.median(times):>8.1f} {p95:>8.1f} {result.total:>10,}")
        # Without the facet counts (a client that asks only for a page).
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            await search_assets(session, q="french medical", facets=False)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        print(f"  {'2 words, no facets':<18} {statistics.median(times):>8.1f} "
              f"{times[int(len(times) * 0.95)]:>8.1f}")  # fmt: skip
    await engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--sqlite-file", help="reuse (or keep) this SQLite file")
    args = ap.parse_args()
    pg = None
    if args.db == "sqlite" and args.sqlite_file and Path(args.sqlite_file).exists():
        asyncio.run(measure(f"sqlite+aiosqlite:///{args.sqlite_file}", args.rounds))
        return
    if args.db == "sqlite":
        path = args.sqlite_file or f"{tempfile.mkdtemp(prefix='bench-catalog-')}/bench.db"
        url = f"sqlite+aiosqlite:///{path}"
    else:
        from tests.pg import PrivatePostgres

        pg = PrivatePostgres()
        url = pg.start()
    try:
        upgrade(url)
        print(f"{args.db}: building {args.n:,} assets")
        took = asyncio.run(build(url, args.n, args.db))
        print(f"  build: {took:.0f} s ({args.n / took:,.0f} assets/s)")
        asyncio.run(measure(url, args.rounds))
    finally:
        if pg:
            pg.stop()


if __name__ == "__main__":
    main()
