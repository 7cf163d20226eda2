"""Slurm accounts and limits through sacctmgr: read, diff against what is wanted, apply.

The backends branch's `sacctmgr.plan/apply` was not available when this was written; this
module has the same shape (`AccountLimit`, `plan`, `apply`) so the switch is one import.
Commands are grouped so that N accounts do not cost N sacctmgr runs: new accounts are added
in lists, and accounts sharing a limit are modified in one command.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

CHUNK = 400


@dataclass(frozen=True)
class AccountLimit:
    """What one Slurm account should look like."""

    account: str
    parent: str
    users: frozenset[str] = field(default_factory=frozenset)
    # e.g. {"gres/gpu": 6000} or {"cpu": 30000}: minutes of native resource.
    grp_tres_mins: Mapping[str, int] = field(default_factory=dict)
    blocked: bool = False

    @property
    def tres_text(self) -> str:
        """GrpTRESMins as sacctmgr writes it (blocked: every TRES at 0)."""
        items = dict(self.grp_tres_mins)
        if self.blocked:
            items = {k: 0 for k in items} or {"cpu": 0}
        return ",".join(f"{k}={v}" for k, v in sorted(items.items()))

    @property
    def max_submit(self) -> str:
        """MaxSubmitJobs: 0 blocks new submissions, empty lifts the block."""
        return "0" if self.blocked else ""


@dataclass
class CurrentAccount:
    """An account as sacctmgr shows it."""

    users: set[str] = field(default_factory=set)
    tres: str = ""
    max_submit: str = ""


def _env(settings: Mapping[str, object]) -> dict[str, str]:
    env = dict(os.environ)
    if settings.get("slurm_conf"):
        env["SLURM_CONF"] = str(settings["slurm_conf"])
    env.pop("SLURM_JWT", None)
    return env


async def _run(argv: Sequence[str], settings: Mapping[str, object]) -> str:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(settings),
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:5])}...: {err.decode().strip() or out.decode()}")
    return out.decode()


def _sacctmgr(settings: Mapping[str, object]) -> str:
    return str(settings.get("sacctmgr", "sacctmgr"))


async def read_current(settings: Mapping[str, object]) -> dict[str, CurrentAccount]:
    """Accounts, their users and limits as the cluster's database has them."""
    argv = [
        _sacctmgr(settings),
        "-nP",
        "show",
        "assoc",
        "format=account,user,grptresmins,maxsubmit",
    ]
    if settings.get("cluster_name"):
        argv.append(f"cluster={settings['cluster_name']}")
    out = await _run(argv, settings)
    current: dict[str, CurrentAccount] = {}
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) < 4:
            continue
        account, user, tres, max_submit = parts[:4]
        acc = current.setdefault(account, CurrentAccount())
        if user:
            acc.users.add(user)
        else:
            acc.tres, acc.max_submit = tres, max_submit
    return current


def plan(
    desired: Sequence[AccountLimit],
    current: Mapping[str, CurrentAccount],
    *,
    sacctmgr: str = "sacctmgr",
    cluster: str | None = None,
) -> list[list[str]]:
    """The sacctmgr commands that turn `current` into `desired` (nothing when they match)."""
    base = [sacctmgr, "-i"]
    where_cluster = [f"cluster={cluster}"] if cluster else []
    commands: list[list[str]] = []
    new_by_parent: dict[str, list[str]] = defaultdict(list)
    for d in desired:
        if d.account not in current:
            new_by_parent[d.parent].append(d.account)
    for parent, names in sorted(new_by_parent.items()):
        for i in range(0, len(names), CHUNK):
            chunk = ",".join(names[i : i + CHUNK])
            commands.append([*base, "add", "account", chunk, f"parent={parent}", *where_cluster])
    users_by_account: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for d in desired:
        have = current.get(d.account, CurrentAccount()).users
        missing = tuple(sorted(d.users - have))
        if missing:
            users_by_account[missing].append(d.account)
    for users, accounts in sorted(users_by_account.items()):
        for i in range(0, len(accounts), CHUNK):
            commands.append(
                [*base, "add", "user", ",".join(users),
                 f"account={','.join(accounts[i : i + CHUNK])}", *where_cluster]
            )  # fmt: skip
    by_limit: dict[tuple[str, str], list[str]] = defaultdict(list)
    for d in desired:
        have = current.get(d.account)
        if have is None or have.tres != d.tres_text or have.max_submit != d.max_submit:
            by_limit[(d.tres_text, d.max_submit)].append(d.account)
    for (tres, max_submit), accounts in sorted(by_limit.items()):
        for i in range(0, len(accounts), CHUNK):
            names = ",".join(accounts[i : i + CHUNK])
            commands.append(
                [*base, "modify", "account", "where", f"name={names}", *where_cluster, "set",
                 f"GrpTRESMins={tres}", f"MaxSubmitJobs={max_submit or -1}"]
            )  # fmt: skip
    return commands


async def apply(
    desired: Sequence[AccountLimit], settings: Mapping[str, object], *, dry_run: bool = False
) -> list[list[str]]:
    """Read the cluster, plan, and run the commands (unless dry_run); return the commands."""
    current = await read_current(settings)
    cluster = str(settings["cluster_name"]) if settings.get("cluster_name") else None
    commands = plan(desired, current, sacctmgr=_sacctmgr(settings), cluster=cluster)
    if not dry_run:
        for argv in commands:
            await _run(argv, settings)
    return commands
