"""Allocation push: the platform's allocations written to the Slurm clusters' accounts.

One Slurm account per project per cluster (the cluster's `account_format`), its users the
approved cluster logins of the project's members (a pending or revoked one never), GrpTRESMins =
normalised hours / factor x 60 of the active allocations (GPU partitions as gres/gpu, CPU
partitions as cpu). A project whose allocations there are all expired or suspended is
blocked (GrpSubmitJobs=0, GrpJobs=0).
Reading, diffing and running sacctmgr is `aifhub.backends.slurm.sacctmgr` (one read, grouped
commands, user additions through one `sacctmgr load` file).
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access import allocations_on_cluster, is_current
from aifhub.backends.slurm.sacctmgr import AccountLimit, SlurmAccounts, plan
from aifhub.compute.models import ClusterLogin
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.identity.models import ProjectMember
from aifhub.resources import Cluster
from aifhub.schemas.enums.compute import LoginStatus

PUSHED_BACKENDS = ("slurm", "slurmrest")


def native_minutes(amount: Decimal, factor: Decimal) -> int:
    """Minutes of native GPU (or core) time that `amount` normalised hours buy."""
    if factor <= 0:
        return 0
    return int((Decimal(amount) / Decimal(factor) * 60).to_integral_value(ROUND_FLOOR))


async def desired_limits(session: AsyncSession, cluster: Cluster) -> list[AccountLimit]:
    """The accounts this cluster should have, from allocations, members and logins."""
    now = utcnow()
    parent = str((cluster.settings or {}).get("parent_account", "root"))
    account_format = str((cluster.settings or {}).get("account_format", "{project}"))
    rows = await allocations_on_cluster(session, cluster.id)
    minutes: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    slugs: dict[int, str] = {}
    active: set[int] = set()
    for alloc, part, slug in rows:
        slugs[alloc.project_id] = slug
        tres = "gres/gpu" if part.unit == "gpu_hours" else "cpu"
        minutes[alloc.project_id][tres] += 0
        if is_current(alloc, now):
            active.add(alloc.project_id)
            minutes[alloc.project_id][tres] += native_minutes(alloc.amount, part.charge_factor)
    logins: dict[int, set[str]] = defaultdict(set)
    member_rows = await session.execute(
        select(ProjectMember.project_id, ClusterLogin.login)
        .join(ClusterLogin, ClusterLogin.user_id == ProjectMember.user_id)
        .where(
            ClusterLogin.cluster_id == cluster.id,
            # Only proven logins reach sacctmgr; a revoked one drops out, so plan() removes it.
            ClusterLogin.status == LoginStatus.APPROVED.value,
            ProjectMember.project_id.in_(list(slugs)),
        )
    )
    for project_id, login in member_rows.all():
        logins[project_id].add(login)
    return [
        AccountLimit(
            account=account_format.format(project=slugs[pid]),
            parent=parent,
            users=sorted(logins[pid]),
            grp_tres_mins=dict(minutes[pid]),
            blocked=pid not in active,
        )
        for pid in sorted(slugs)
    ]


async def push_allocations(
    session: AsyncSession,
    *,
    dry_run: bool = False,
    cluster: str | None = None,
    read_cluster: bool = True,
) -> list[str]:
    """Apply (or, dry_run, print) the sacctmgr commands for every Slurm cluster."""
    query = select(Cluster).where(Cluster.enabled, Cluster.backend.in_(PUSHED_BACKENDS))
    if cluster:
        query = query.where(Cluster.name == cluster)
    lines: list[str] = []
    for c in await session.scalars(query.order_by(Cluster.name)):
        desired = await desired_limits(session, c)
        settings = dict(c.settings or {})
        name = str(settings.get("cluster_name") or c.name)
        accounts = SlurmAccounts(name, settings.get("slurm_conf"))
        if not read_cluster:  # planning from nothing: every command, as on a fresh cluster
            commands = plan(desired, {}, name)
        elif dry_run:
            commands = await accounts.plan(desired)
        else:
            commands = await accounts.apply(desired)
        lines.append(f"# {c.name}: {len(desired)} account(s), {len(commands)} command(s)")
        lines.extend(shlex.join(["sacctmgr", "-i", *argv]) for argv in commands)
        if not dry_run:
            await audit.record(
                session, "allocations.pushed", "cluster", c.id, accounts=len(desired),
                commands=len(commands),
            )  # fmt: skip
    return lines
