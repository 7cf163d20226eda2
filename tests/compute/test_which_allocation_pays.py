"""The one rule for which allocation pays, for submissions and for jobs run on the cluster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from aifhub.access.ledger import pays_first
from aifhub.access.models import Allocation, LedgerEntry

from .conftest import add_allocation, job_body

T = datetime(2026, 6, 1, tzinfo=UTC)


def _alloc(id_: int, start_days: int, end_days: int) -> Allocation:
    return Allocation(
        id=id_, starts_at=T + timedelta(days=start_days), ends_at=T + timedelta(days=end_days)
    )


def test_the_covering_allocation_that_ends_first_pays() -> None:
    long, short, past, future = (
        _alloc(1, -10, 90),
        _alloc(2, -5, 20),
        _alloc(3, -60, -1),
        _alloc(4, 5, 60),
    )
    assert pays_first([long, short, past, future], T) is short
    assert pays_first([long, past, future], T) is long
    # Ties on the end: the older allocation pays.
    twin = _alloc(5, -1, 20)
    assert pays_first([twin, short], T) is short
    assert pays_first([past, future], T) is None
    # A period is [start, end): at its end an allocation no longer pays.
    assert pays_first([short], short.ends_at) is None
    assert pays_first([future], future.starts_at) is future


async def test_a_submission_reserves_on_the_allocation_that_ends_first(client, db, world):
    # The world gives `proj` 100 h on testc/gpu for 30 days; a second, shorter one ends sooner.
    sooner = await add_allocation(db, "proj", world.gpu, Decimal(10), days=(-1, 7))
    later = await add_allocation(db, "proj", world.gpu, Decimal(500), days=(-1, 300))
    r = await client.post("/api/v1/jobs", json=job_body(time_limit="10m"), headers=world.member)
    assert r.status_code == 201, r.text
    entry = await db.scalar(select(LedgerEntry).where(LedgerEntry.kind == "reserve"))
    assert entry is not None and entry.allocation_id == sooner.id != later.id
