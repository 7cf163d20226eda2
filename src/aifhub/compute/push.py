"""Allocation push: the platform's allocations written to the Slurm clusters' accounts.

One Slurm account per project per cluster (the cluster's `account_format`), under the
cluster's `parent_account` (created when missing, as is the cluster entry in slurmdbd); its
users the approved cluster logins of the project's members (a pending or revoked one never).

Limits mean the same thing as the platform's balance, across periods. Slurm's usage counter is
never reset (PriorityUsageResetPeriod=NONE, PriorityDecayHalfLife=0), so for each TRES the
project's allocations on the cluster use (gres/gpu for GPU partitions, cpu for CPU partitions):
GrpTRESMins = what Slurm has already counted for the account (its GrpTRESRaw, minutes) + the
native minutes still remaining on the project's current allocations of that TRES, where each
current allocation leaves floor(max(0, amount - settled use) / charge_factor x 60) minutes
(settled use = the ledger's charges; running jobs' reservations are not subtracted: Slurm's
`safe` enforcement already counts running jobs). Blocked (GrpSubmitJobs=0, GrpJobs=0) when no
current allocation on the cluster has a minute left: suspended, expired, exhausted or overrun;
a blocked account's limit follows the same formula (remaining 0: limit = usage). Unblocking is
the next push after a new grant or a top-up. A dry run with read_cluster=False plans from
nothing (no cluster entry, usage 0). Known limit: where a project has both CPU and GPU
allocations on a cluster, GPU jobs' cores count against its cpu limit too.

Reading and running sacctmgr is `aifhub.backends.slurm.accounts`; the pure planner is
`aifhub.backends.slurm.sacctmgr`.
"""

from __future__ import annotations

import asyncio
import shlex
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access import allocation_rows_on_cluster
from aifhub.backends.slurm.accounts import ClusterState, SlurmAccounts
from aifhub.backends.slurm.sacctmgr import AccountLimit, plan
from aifhub.backends.slurm.sbatch import _SLURM_ENTITY
from aifhub.compute.models import ClusterLogin
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import InvalidInput
from aifhub.identity.models import ProjectMember
from aifhub.resources import Cluster
from aifhub.schemas.enums.access import AllocationState
from aifhub.schemas.enums.compute import LoginStatus

PUSHED_BACKENDS = ("slurm", "slurmrest")


def native_minutes(amount: Decimal, factor: Decimal) -> int:
    """Minutes of native GPU (or core) time that `amount` normalised hours buy (floored)."""
    if factor <= 0 or amount <= 0:
        return 0
    return int((Decimal(amount) / Decimal(factor) * 60).to_integral_value(ROUND_FLOOR))


@dataclass
class ProjectAccount:
    """What the platform wants for one project's account, before Slurm's usage is added."""

    account: str
    parent: str
    users: list[str] = field(default_factory=list)
    remaining: dict[str, int] = field(default_factory=dict)  # native minutes left, per TRES

    @property
    def blocked(self) -> bool:
        """No current allocation on the cluster has a minute left."""
        return not any(self.remaining.values())

    def limit(self, usage: dict[str, int]) -> AccountLimit:
        """The account's desired state: GrpTRESMins = Slurm's usage + the minutes left."""
        return AccountLimit(
            account=self.account,
            parent=self.parent,
            users=self.users,
            grp_tres_mins={t: usage.get(t, 0) + left for t, left in self.remaining.items()},
            blocked=self.blocked,
        )


def _account_name(account_format: str, slug: str) -> str:
    account = account_format.format(project=slug)
    # Slurm lowercases account names: a capital would make every push see a change.
    if not _SLURM_ENTITY.fullmatch(account) or account != account.lower():
        raise InvalidInput(
            f"Project '{slug}' gives the Slurm account name {account!r} (account_format "
            f"{account_format!r}), which Slurm does not accept: use lowercase letters, digits, "
            "'_', '.' and '-' (at most 64 characters). Fix account_format in the site file."
        )
    return account


async def project_accounts(session: AsyncSession, cluster: Cluster) -> list[ProjectAccount]:
    """The accounts this cluster should have, from allocations, settled use and logins."""
    now = utcnow()
    settings = cluster.settings or {}
    parent = str(settings.get("parent_account", "root"))
    account_format = str(settings.get("account_format", "{project}"))
    accounts: dict[int, ProjectAccount] = {}
    rows = await allocation_rows_on_cluster(session, cluster.id)
    for row in rows:
        acc = accounts.get(row.project_id)
        if acc is None:
            acc = ProjectAccount(_account_name(account_format, row.slug), parent)
            accounts[row.project_id] = acc
        tres = "gres/gpu" if row.unit == "gpu_hours" else "cpu"
        left = 0
        if row.state == AllocationState.ACTIVE.value and row.starts_at <= now < row.ends_at:
            # (str: SQLite sums numerics as floats)
            left = native_minutes(
                Decimal(str(row.amount)) - Decimal(str(row.used)), row.charge_factor
            )
        acc.remaining[tres] = acc.remaining.get(tres, 0) + left
    logins: dict[int, set[str]] = defaultdict(set)
    # Core rows (no ORM loading): 15,000 members are read in one statement.
    member_rows = await (await session.connection()).execute(
        select(ProjectMember.project_id, ClusterLogin.login)
        .join(ClusterLogin, ClusterLogin.user_id == ProjectMember.user_id)
        .where(
            ClusterLogin.cluster_id == cluster.id,
            # Only proven logins reach sacctmgr; a revoked one drops out, so plan() removes it.
            ClusterLogin.status == LoginStatus.APPROVED.value,
        )
    )
    for project_id, login in member_rows.all():
        if project_id in accounts:
            logins[project_id].add(login)
    for project_id, acc in accounts.items():
        acc.users = sorted(logins[project_id])
    return [accounts[pid] for pid in sorted(accounts)]


async def desired_limits(
    session: AsyncSession, cluster: Cluster, usage: Mapping[str, dict[str, int]] | None = None
) -> list[AccountLimit]:
    """The accounts this cluster should have, given what Slurm counted per account (none:
    planned from nothing, usage 0)."""
    counted = usage or {}
    return [a.limit(counted.get(a.account, {})) for a in await project_accounts(session, cluster)]


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
        settings = dict(c.settings or {})
        name = str(settings.get("cluster_name") or c.name)
        accounts = SlurmAccounts(
            name,
            settings.get("slurm_conf"),
            float(settings.get("push_timeout_s", 600.0)),
            settings.get("bin_dir"),
        )
        if read_cluster:  # Slurm's state is read while the database is
            found = await asyncio.gather(
                project_accounts(session, c), accounts.read(), return_exceptions=True
            )
            for result in found:  # the platform's own error (a bad account name) first
                if isinstance(result, BaseException):
                    raise result
            wanted, state = cast(list[ProjectAccount], found[0]), cast(ClusterState, found[1])
        else:  # planning from nothing: every command, as on a fresh slurmdbd (no usage counted)
            wanted, state = await project_accounts(session, c), ClusterState()
        desired = [a.limit(state.usage.get(a.account, {})) for a in wanted]
        try:
            commands = plan(desired, state.accounts, name, cluster_exists=state.exists)
        except ValueError as exc:  # a login or parent that Slurm would refuse
            raise InvalidInput(f"Cluster '{c.name}': {exc}.") from exc
        if not dry_run:
            await accounts.run(commands, state)
        lines.append(f"# {c.name}: {len(desired)} account(s), {len(commands)} command(s)")
        lines.extend(shlex.join(["sacctmgr", "-i", *argv]) for argv in commands)
        if not dry_run:
            await audit.record(
                session, "allocations.pushed", "cluster", c.id, accounts=len(desired),
                commands=len(commands),
            )  # fmt: skip
    return lines
