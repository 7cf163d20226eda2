"""Access domain tables. Allocation is the contract the compute domain charges against."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aifhub.core.db import HOURS, Base, utcnow
from aifhub.schemas.enums.access import (
    AllocationState,
    ApplicationKind,
    ApplicationState,
    ReviewState,
)


class Allocation(Base):
    """Hours granted to a project on a partition for a period."""

    __tablename__ = "allocations"
    __table_args__ = (Index("ix_allocations_project_partition", "project_id", "partition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    partition_id: Mapped[int] = mapped_column(ForeignKey("partitions.id", ondelete="RESTRICT"))
    # Normalised hours (GPU-hours or CPU-hours as the partition's unit says).
    amount: Mapped[Decimal] = mapped_column(HOURS)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12), default=AllocationState.SCHEDULED.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The application that granted it (None for allocations made by staff directly).
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL"), index=True
    )
    # Fallback partitions named by the application (partition ids), in order of preference.
    fallback_partition_ids: Mapped[list[int]] = mapped_column(JSON, default=list)


class AccessMode(Base):
    """An access mode (call) synced from the site file; `config` is its full ModeSpec."""

    __tablename__ = "access_modes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(default=True)


class Application(Base):
    """A request for hours under an access mode, and where it stands."""

    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_mode_state", "mode_id", "state"),
        Index("ix_applications_project", "project_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    mode_id: Mapped[int] = mapped_column(ForeignKey("access_modes.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10), default=ApplicationKind.NEW.value)
    # The allocation a renewal or top-up is about. No foreign key: allocations already point
    # at applications, and a cycle between the two tables would complicate every migration.
    allocation_id: Mapped[int | None] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(24), default=ApplicationState.DRAFT.value)
    title: Mapped[str] = mapped_column(String(200))
    technical_description: Mapped[str] = mapped_column(Text, default="")
    datasets_models: Mapped[str] = mapped_column(Text, default="")
    sector: Mapped[str] = mapped_column(String(30))
    duration_months: Mapped[int]
    fallback_partition_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # First submission: time-to-access is measured from here, revisions do not reset it.
    submitted_at: Mapped[datetime | None]
    due_date: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    allocated_at: Mapped[datetime | None]
    # Why it is where it is: eligibility failures, changes asked, decision reasons.
    state_reason: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(default=0)


class ApplicationItem(Base):
    """Hours requested (and granted) on one partition."""

    __tablename__ = "application_items"
    __table_args__ = (UniqueConstraint("application_id", "partition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    partition_id: Mapped[int] = mapped_column(ForeignKey("partitions.id", ondelete="RESTRICT"))
    requested: Mapped[Decimal] = mapped_column(HOURS)
    granted: Mapped[Decimal | None] = mapped_column(HOURS)


class Review(Base):
    """A reviewer's assessment of an application at one step (technical or peer)."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id", "step"),
        Index("ix_reviews_reviewer_state", "reviewer_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    step: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(12), default=ReviewState.ASSIGNED.value)
    scores: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    conflict_reason: Mapped[str] = mapped_column(String(500), default="")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]


class LedgerKind(StrEnum):
    RESERVE = "reserve"  # a submitted job holds hours
    RELEASE = "release"  # the hold is lifted (job ended or never ran)
    CHARGE = "charge"  # real use, from the scheduler's accounting
    ADJUST = "adjust"  # a staff correction


class LedgerEntry(Base):
    """One movement of hours on an allocation. Never updated, never deleted.

    reserved = sum(reserve) - sum(release); used = sum(charge) + sum(adjust);
    balance = granted - used - reserved, always derived.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_allocation_kind", "allocation_id", "kind"),
        # One charge per job and one reserve/release per job: settlement is idempotent.
        UniqueConstraint("job_key", "kind", name="uq_ledger_job_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocations.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(HOURS)
    # "<cluster>:<scheduler job id>" for job movements, None for adjustments.
    job_key: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    # Who used the hours: the platform user when known, else the cluster login of a job run
    # directly on the cluster (reports group by them).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    login: Mapped[str | None] = mapped_column(String(64))
