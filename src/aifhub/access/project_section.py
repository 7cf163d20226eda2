"""The access part of a project's page: its applications and its allocations with balances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.ledger import Balance, ledger_terms
from aifhub.access.models import AccessMode, Allocation, Application, LedgerEntry
from aifhub.access.web_common import STATES
from aifhub.core.i18n import N_
from aifhub.core.modules import Section
from aifhub.identity.models import Project, User
from aifhub.resources import Partition

RECENT_APPLICATIONS = 5


@dataclass(frozen=True)
class AllocationLine:
    """One allocation of the project with its balance (the ledger's Balance: remaining and
    overrun derived there)."""

    id: int
    partition: str
    unit: str
    state: str
    starts_at: datetime
    ends_at: datetime
    granted: Decimal
    used: Decimal
    reserved: Decimal

    @property
    def balance(self) -> Balance:
        return Balance.of(self.granted, self.reserved, self.used)

    @property
    def remaining(self) -> Decimal:
        return self.balance.remaining

    @property
    def overrun(self) -> Decimal:
        return self.balance.overrun


async def project_allocations(session: AsyncSession, project_id: int) -> list[AllocationLine]:
    """Every allocation of a project with its partition and balance, in one statement."""
    signed_reserve, used = ledger_terms()
    sums = (
        select(
            LedgerEntry.allocation_id.label("allocation_id"),
            func.sum(signed_reserve).label("reserved"),
            func.sum(used).label("used"),
        )
        .join(Allocation, Allocation.id == LedgerEntry.allocation_id)
        .where(Allocation.project_id == project_id)
        .group_by(LedgerEntry.allocation_id)
        .subquery()
    )
    rows = await session.execute(
        select(Allocation, Partition.key, Partition.unit, sums.c.reserved, sums.c.used)
        .join(Partition, Partition.id == Allocation.partition_id)
        .outerjoin(sums, sums.c.allocation_id == Allocation.id)
        .where(Allocation.project_id == project_id)
        .order_by(Allocation.ends_at.desc(), Allocation.id.desc())
    )
    return [
        AllocationLine(
            a.id,
            key,
            unit,
            a.state,
            a.starts_at,
            a.ends_at,
            Decimal(a.amount),
            Decimal(used or 0),
            Decimal(reserved or 0),
        )  # fmt: skip
        for a, key, unit, reserved, used in rows.all()
    ]


async def recent_applications(
    session: AsyncSession, project_id: int, *, limit: int = RECENT_APPLICATIONS
) -> list[tuple[Application, str]]:
    """The project's newest applications with their mode's name, in one statement."""
    rows = await session.execute(
        select(Application, AccessMode.name)
        .join(AccessMode, AccessMode.id == Application.mode_id)
        .where(Application.project_id == project_id)
        .order_by(Application.id.desc())
        .limit(limit)
    )
    return [(app, name) for app, name in rows.all()]


async def access_section(session: AsyncSession, user: User, project: Project) -> Section:
    """Applications (with "Apply") and allocations with granted, used, reserved, left and any
    overrun."""
    return Section(
        "access/_project_section.html",
        {
            "anchor": "allocations",
            "title": N_("Compute hours"),
            "applications": await recent_applications(session, project.id),
            "allocations": await project_allocations(session, project.id),
            "staff": user.is_staff,
            "state_labels": STATES,
        },
        order=20,
    )
