"""Access domain tables. Allocation is the contract the compute domain charges against."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from aifhub.core.db import Base, utcnow


class AllocationState(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    EXPIRED = "expired"
    SUSPENDED = "suspended"


class Allocation(Base):
    """Hours granted to a project on a partition for a period."""

    __tablename__ = "allocations"
    __table_args__ = (Index("ix_allocations_project_partition", "project_id", "partition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    partition_id: Mapped[int] = mapped_column(ForeignKey("partitions.id", ondelete="RESTRICT"))
    # Normalised hours (GPU-hours or CPU-hours as the partition's unit says).
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12), default=AllocationState.SCHEDULED.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
