"""Clusters and their partitions, as the site file declares them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aifhub.core.db import HOURS, Base


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
