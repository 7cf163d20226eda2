"""Checking the Slurm clusters: their daemons' health and the drift of the site file.

Used by `aifhub clusters check`, the worker's `compute.cluster_check` task and the staff
page /staff/clusters. Every call to Slurm has a short time limit and every failure becomes a
sentence ("down: ..."), so a dead daemon never hangs a page nor fails the worker. The rows are
read first and the session released before Slurm is asked anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import Gauge
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import resources
from aifhub.backends.base import BackendError
from aifhub.backends.slurm.commands import slurm_env
from aifhub.backends.slurm.inspect import (
    CHECK_TIMEOUT_S,
    DaemonHealth,
    SlurmView,
    ping_slurmctld,
    ping_slurmdbd,
    ping_slurmrestd,
    read_cli_view,
    read_rest_view,
)
from aifhub.backends.slurm.rest import SlurmRestBackend
from aifhub.compute.cluster_drift import (
    DeclaredPartition,
    Finding,
    check_settings,
    compare_partitions,
)
from aifhub.core.db import utcnow
from aifhub.core.errors import NotFound, PermissionDenied
from aifhub.core.i18n import N_
from aifhub.core.infra import BackendPool
from aifhub.identity.models import User
from aifhub.resources import Cluster, Partition
from aifhub.schemas.enums.identity import StaffRole

SLURM_BACKENDS = ("slurm", "slurmrest")

DAEMON_UP = Gauge(
    "aifhub_cluster_daemon_up",
    "1 when the cluster's daemon answered the last check, 0 when it did not",
    ["cluster", "daemon"],
)
DRIFT_FINDINGS = Gauge(
    "aifhub_cluster_drift_findings",
    "Findings of the last check of the cluster (site file against Slurm)",
    ["cluster", "severity"],
)


@dataclass(frozen=True)
class ClusterTarget:
    """What the check needs of a cluster, read from its rows before Slurm is asked."""

    name: str
    backend: str
    settings: Mapping[str, Any]
    partitions: tuple[DeclaredPartition, ...]


@dataclass
class ClusterReport:
    """One cluster's check: each daemon's health and the findings, and when it ran."""

    cluster: str
    backend: str
    daemons: list[DaemonHealth]
    findings: list[Finding] = field(default_factory=list)
    checked_at: datetime = field(default_factory=utcnow)

    @property
    def healthy(self) -> bool:
        """Every daemon answered."""
        return all(d.up for d in self.daemons)

    @property
    def errors(self) -> list[Finding]:
        """The error-level findings."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        """Healthy and no error-level drift."""
        return self.healthy and not self.errors

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (`aifhub clusters check --json`)."""
        return {
            "cluster": self.cluster,
            "backend": self.backend,
            "ok": self.ok,
            "checked_at": self.checked_at.isoformat(),
            "daemons": {d.daemon: d.text for d in self.daemons},
            "findings": [
                {"severity": f.severity, "partition": f.partition, "message": f.message}
                for f in self.findings
            ],
        }


async def check_targets(
    session: AsyncSession, *, cluster: str | None = None
) -> list[ClusterTarget]:
    """The enabled Slurm clusters (or the one named) and their enabled partitions."""
    clusters = [c for c in await resources.enabled_clusters(session) if c.backend in SLURM_BACKENDS]
    if cluster is not None:
        clusters = [c for c in clusters if c.name == cluster]
        if not clusters:
            raise NotFound(
                f"No enabled Slurm cluster is named '{cluster}'; "
                "`aifhub clusters sync` loads the site file's clusters."
            )
    ids = [c.id for c in clusters]
    rows = await session.scalars(
        select(Partition)
        .where(Partition.cluster_id.in_(ids), Partition.enabled)
        .order_by(Partition.name)
    )
    by_cluster: dict[int, list[DeclaredPartition]] = {i: [] for i in ids}
    for p in rows:
        by_cluster[p.cluster_id].append(
            DeclaredPartition(p.name, p.max_time_s, p.gpus_per_node, p.mem_mb_per_node,
                              p.cores_per_node)
        )  # fmt: skip
    return [_target(c, by_cluster[c.id]) for c in clusters]


def _target(cluster: Cluster, partitions: list[DeclaredPartition]) -> ClusterTarget:
    return ClusterTarget(cluster.name, cluster.backend, dict(cluster.settings or {}),
                         tuple(partitions))  # fmt: skip


async def check_cluster(
    target: ClusterTarget, backends: BackendPool, timeout_s: float = CHECK_TIMEOUT_S
) -> ClusterReport:
    """Ask Slurm (all at once, each call bounded by timeout_s) and compare with the site file."""
    env = slurm_env(target.settings.get("slurm_conf"))
    bin_dir = target.settings.get("bin_dir")
    rest = _rest_backend(target, backends)
    pings = [
        ping_slurmctld(env, bin_dir, timeout_s),
        ping_slurmdbd(env, bin_dir, target.settings.get("cluster_name"), timeout_s),
    ]
    if rest is not None:
        pings.append(ping_slurmrestd(rest, timeout_s))
    reader = read_rest_view(rest, timeout_s) if rest else read_cli_view(env, bin_dir, timeout_s)
    daemons, view = await asyncio.gather(asyncio.gather(*pings), _read(reader))
    report = ClusterReport(target.name, target.backend, list(daemons))
    if isinstance(view, str):
        report.findings.append(Finding("error", N_(
            "Slurm's partitions and nodes could not be read (%(error)s): the site file was not "
            "compared with them."), {"error": view}))  # fmt: skip
    else:
        report.findings.extend(compare_partitions(target.partitions, view))
        report.findings.extend(check_settings(view.settings, view.settings_error))
    return report


async def _read(reader: Any) -> SlurmView | str:
    try:
        view: SlurmView = await reader
    except TimeoutError:
        return "Slurm did not answer within the check's time limit"
    except BackendError as exc:
        return str(exc).strip().rstrip(".")
    except (ValueError, KeyError, TypeError) as exc:  # an answer of a form never seen
        return f"Slurm's answer could not be parsed: {exc!r}"
    return view


def _rest_backend(target: ClusterTarget, backends: BackendPool) -> SlurmRestBackend | None:
    if target.backend != "slurmrest":
        return None
    settings = {k: v for k, v in target.settings.items() if k not in ("account_format", "logins")}
    backend = backends.get(target.name, target.backend, settings)
    # A backend a test swapped in is no REST client: the CLI tools are asked instead.
    return backend if isinstance(backend, SlurmRestBackend) else None


async def check_clusters(
    targets: list[ClusterTarget], backends: BackendPool, timeout_s: float = CHECK_TIMEOUT_S
) -> list[ClusterReport]:
    """Check every target at once; sets the Prometheus gauges of each."""
    reports = list(await asyncio.gather(*(check_cluster(t, backends, timeout_s) for t in targets)))
    for report in reports:
        for daemon in report.daemons:
            DAEMON_UP.labels(report.cluster, daemon.daemon).set(1 if daemon.up else 0)
        for severity in ("error", "warning"):
            count = sum(1 for f in report.findings if f.severity == severity)
            DRIFT_FINDINGS.labels(report.cluster, severity).set(count)
    return reports


async def staff_check_targets(session: AsyncSession, actor: User) -> list[ClusterTarget]:
    """What the staff page checks: every enabled Slurm cluster (admins only)."""
    if not actor.has_role(StaffRole.ADMIN):
        raise PermissionDenied("Only the factory's admins see the clusters' health.")
    return await check_targets(session)
