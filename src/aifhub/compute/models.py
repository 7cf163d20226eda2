"""Jobs, cluster logins, network grants and the append-only usage ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aifhub.core.db import HOURS, Base, utcnow
from aifhub.schemas.enums.compute import TERMINAL_STATUSES, JobStatus, LoginSource, LoginStatus


class NetworkGrant(Base):
    """Staff's permission for a project's jobs to use the network on a cluster or partition.

    A job asking for network needs its partition's `allow_network` and a grant that is not
    revoked, for the partition or (partition_id NULL) for its whole cluster.
    """

    __tablename__ = "network_grants"
    __table_args__ = (Index("ix_network_grants_project_cluster", "project_id", "cluster_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    partition_id: Mapped[int | None] = mapped_column(
        ForeignKey("partitions.id", ondelete="CASCADE")
    )
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(300), default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column()


class Job(Base):
    """A job submitted through the platform; its row is the outbox entry for the backend."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_jobs_user_idempotency"),
        Index("ix_jobs_state", "state"),
        Index("ix_jobs_cluster_backend", "cluster_id", "backend_id"),
        Index("ix_jobs_project", "project_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="RESTRICT"))
    partition_id: Mapped[int] = mapped_column(ForeignKey("partitions.id", ondelete="RESTRICT"))
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocations.id", ondelete="RESTRICT"))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    # The JobSpec, as submitted.
    name: Mapped[str] = mapped_column(String(100))
    script: Mapped[str] = mapped_column(Text)
    account: Mapped[str | None] = mapped_column(String(100))
    login: Mapped[str | None] = mapped_column(String(64))
    time_limit_s: Mapped[int]
    nodes: Mapped[int] = mapped_column(default=1)
    ntasks: Mapped[int] = mapped_column(default=1)
    cpus_per_task: Mapped[int] = mapped_column(default=1)
    gpus: Mapped[int] = mapped_column(default=0)
    mem_mb: Mapped[int | None]
    env: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    workdir: Mapped[str | None] = mapped_column(String(400))
    qos: Mapped[str | None] = mapped_column(String(60))
    constraint: Mapped[str | None] = mapped_column(String(60))
    # Catalogue inputs as requested: [{"kind": "dataset"|"model", "ref": "...", "mount": "..."}].
    inputs: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    allow_network: Mapped[bool] = mapped_column(default=False)
    # Lifecycle.
    state: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    reason: Mapped[str | None] = mapped_column(String(500))
    backend_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    cancel_sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    exit_code: Mapped[int | None]
    elapsed_s: Mapped[int | None]
    reserved_hours: Mapped[Decimal] = mapped_column(HOURS, default=Decimal(0))
    charged_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    settled_at: Mapped[datetime | None]

    @property
    def comment(self) -> str:
        """What the backend carries for this job, to find it again after a crash."""
        return f"aifhub:{self.id}"

    @property
    def is_terminal(self) -> bool:
        """True once the job will not change state any more."""
        return self.state in TERMINAL_STATUSES


class ClusterLogin(Base):
    """A user's login (Unix account) on a cluster; only an approved one is used anywhere."""

    __tablename__ = "cluster_logins"
    __table_args__ = (
        UniqueConstraint("user_id", "cluster_id", name="uq_cluster_logins_user_cluster"),
        UniqueConstraint("cluster_id", "login", name="uq_cluster_logins_cluster_login"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    login: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=LoginStatus.PENDING.value)
    source: Mapped[str] = mapped_column(String(16), default=LoginSource.REQUEST.value)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountingCursor(Base):
    """Up to when a cluster's accounting has been read into the ledger."""

    __tablename__ = "accounting_cursors"

    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[datetime]
    records_seen: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
