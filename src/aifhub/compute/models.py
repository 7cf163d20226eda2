"""Clusters, partitions, jobs, cluster logins and the append-only usage ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
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
    # A Slurm --constraint every job on this partition gets (Adastra: MI250 / MI300).
    constraint: Mapped[str | None] = mapped_column(String(60))
    charged: Mapped[bool] = mapped_column(default=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Jobs may have network here only if the site file allows it AND staff granted the project.
    allow_network: Mapped[bool] = mapped_column(default=False)


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


class JobStatus(StrEnum):
    """Platform job states: the outbox states, then the backend's own (backends.JobState)."""

    QUEUED = "queued"  # accepted and recorded; the worker has not handed it over yet
    SUBMITTING = "submitting"  # a worker is handing it to the backend right now
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    NODE_FAIL = "node_fail"
    OUT_OF_MEMORY = "out_of_memory"


TERMINAL_STATUSES = frozenset(
    {
        JobStatus.COMPLETED.value,
        JobStatus.FAILED.value,
        JobStatus.CANCELLED.value,
        JobStatus.TIMEOUT.value,
        JobStatus.NODE_FAIL.value,
        JobStatus.OUT_OF_MEMORY.value,
    }
)


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


class LoginStatus(StrEnum):
    """Where a cluster login stands: only `approved` ones reach the cluster."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


class LoginSource(StrEnum):
    """Who proved (or asked for) a cluster login."""

    STAFF = "staff"  # mapped by a staff admin
    OIDC = "oidc"  # a trusted claim of the identity provider
    MAPPING = "mapping"  # the cluster's site mapping file
    REQUEST = "request"  # the user's own word: pending until staff approve it


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
