"""Clusters, partitions and the append-only usage ledger (jobs are added by the compute domain)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aifhub.core.db import Base, utcnow

HOURS = Numeric(16, 4)


class Cluster(Base):
    """A compute cluster declared in the site file."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    site: Mapped[str] = mapped_column(String(100), default="")
    sovereignty: Mapped[str] = mapped_column(String(20), default="public")  # public / private
    country: Mapped[str] = mapped_column(String(2), default="FR")
    backend: Mapped[str] = mapped_column(String(20))  # local / slurm / slurmrest
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)


class Partition(Base):
    """A partition of a cluster, with its accelerator and its charge factor."""

    __tablename__ = "partitions"
    __table_args__ = (UniqueConstraint("cluster_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    # The name users and allocations use: "<cluster>/<partition>", unique across the factory.
    key: Mapped[str] = mapped_column(String(130), unique=True)
    accelerator: Mapped[str | None] = mapped_column(String(40))  # e.g. "A100", None for CPU
    gpus_per_node: Mapped[int] = mapped_column(default=0)
    cores_per_node: Mapped[int] = mapped_column(default=1)
    mem_mb_per_node: Mapped[int] = mapped_column(default=1024)
    nodes: Mapped[int] = mapped_column(default=1)
    max_time_s: Mapped[int] = mapped_column(default=86400)
    # Normalised hours charged per native accelerator-hour (or core-hour on CPU partitions).
    charge_factor: Mapped[Decimal] = mapped_column(HOURS, default=Decimal(1))
    unit: Mapped[str] = mapped_column(String(12), default="gpu_hours")  # gpu_hours / cpu_hours
    qos: Mapped[list[str]] = mapped_column(JSON, default=list)
    charged: Mapped[bool] = mapped_column(default=True)
    enabled: Mapped[bool] = mapped_column(default=True)


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
