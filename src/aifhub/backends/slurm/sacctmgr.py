"""Pushing allocations to Slurm's accounting: the pure planner (no subprocess here).

The platform declares the desired state (one :class:`AccountLimit` per Slurm account it
manages); :func:`plan` compares it with what slurmdbd has (read by
``aifhub.backends.slurm.accounts`` in one call per kind of state) and returns the minimal list
of sacctmgr commands, grouped so that accounts sharing the same change are handled by one
command. What the push needs first comes first: ``add cluster`` when slurmdbd does not know the
cluster, ``add account PARENT cluster=C parent=root`` when a parent account is missing. Running
the plan twice changes nothing the second time.

Limits (decided semantics, also in docs/backends.md and docs/compute.md): Slurm's usage
counter is never reset, so for each TRES a project uses on the cluster (``gres/gpu`` for GPU
partitions, ``cpu`` for CPU partitions) GrpTRESMins = what Slurm has already counted for the
account (its GrpTRESRaw, in minutes) + the native minutes still remaining on the project's
current allocations of that TRES. Blocked (``GrpSubmitJobs=0``, ``GrpJobs=0``: sbatch refuses
at once with a message, running jobs finish) when no current allocation has any minute left
(suspended, expired, exhausted or overrun); a blocked account's GrpTRESMins follows the same
formula. Unblocking is the next push after a new grant or a top-up. Accounts the platform does
not list are never touched, and accounts are never deleted (their history stays for
fair-share).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field

from aifhub.backends.slurm.sbatch import _LOGIN, _SLURM_ENTITY, _check

UNLIMITED = -1
MAX_MINUTES = 2**62


@dataclass(frozen=True)
class AccountLimit:
    """Desired state of one Slurm account: parent, member users, GrpTRESMins, blocked."""

    account: str
    parent: str = "root"
    users: list[str] = field(default_factory=list)
    grp_tres_mins: dict[str, int] = field(default_factory=dict)
    blocked: bool = False


@dataclass
class CurrentAccount:
    """What Slurm has now for one account."""

    parent: str
    users: set[str]
    grp_tres_mins: dict[str, int]
    blocked: bool


SHOW_FORMAT = "Account,User,ParentName,GrpTRESMins,GrpSubmit,GrpJobs"


def show_assoc_command(cluster: str | None) -> list[str]:
    """The one sacctmgr command that reads the current associations."""
    where = [f"cluster={cluster}"] if cluster else []
    return ["sacctmgr", "-P", "-n", "show", "assoc", *where, f"format={SHOW_FORMAT}"]


def parse_tres_limits(text: str) -> dict[str, int]:
    """'cpu=100,gres/gpu=60' -> {'cpu': 100, 'gres/gpu': 60}."""
    limits = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if sep and value.lstrip("-").isdigit():
            limits[key] = int(value)
    return limits


def parse_assoc(text: str) -> dict[str, CurrentAccount]:
    """Parse ``sacctmgr -P -n show assoc format=SHOW_FORMAT`` output by account."""
    accounts: dict[str, CurrentAccount] = {}
    users: dict[str, set[str]] = defaultdict(set)
    for line in text.splitlines():
        f = line.split("|")
        if len(f) < 6:
            continue
        account, user, parent, tres, submit, jobs = f[:6]
        if user:
            users[account].add(user)
        else:
            accounts[account] = CurrentAccount(
                parent=parent,
                users=set(),
                grp_tres_mins=parse_tres_limits(tres),
                blocked=submit == "0" and jobs == "0",
            )
    for account, members in users.items():
        if account in accounts:
            accounts[account].users = members
    return accounts


def _tres_value(limits: Mapping[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(limits.items()))


def _validate(desired: Sequence[AccountLimit]) -> None:
    seen = set()
    for a in desired:
        _check("account", a.account, _SLURM_ENTITY)
        _check("parent account", a.parent, _SLURM_ENTITY)
        for u in a.users:
            _check("user", u, _LOGIN)
        for key, value in a.grp_tres_mins.items():
            if key not in ("cpu", "mem", "node", "billing", "energy") and not key.startswith(
                "gres/"
            ):
                raise ValueError(f"unknown TRES {key!r} in the limits of {a.account}")
            # sacctmgr silently stores a value past 2**63 as "no limit": refuse it here.
            if not isinstance(value, int) or not 0 <= value < MAX_MINUTES:
                raise ValueError(
                    f"GrpTRESMins {key} of {a.account} must be an integer from 0 to {MAX_MINUTES}"
                )
        if a.account in seen:
            raise ValueError(f"account {a.account} is listed twice")
        seen.add(a.account)


def plan(
    desired: Sequence[AccountLimit],
    current: Mapping[str, CurrentAccount],
    cluster: str | None = None,
    *,
    cluster_exists: bool = True,
) -> list[list[str]]:
    """Return the sacctmgr commands (argv without ``sacctmgr -i``) that reach ``desired``.

    Pure: for a dry run, print them. Order: the cluster, missing parent accounts, then new
    accounts (parents before children), changed accounts, users.
    """
    _validate(desired)
    where_cluster = [f"cluster={cluster}"] if cluster else []
    by_name = {a.account: a for a in desired}
    commands: list[list[str]] = []

    # 0. What the accounts hang from: the cluster entry, and parents the platform does not list.
    if cluster and not cluster_exists:
        _check("cluster", cluster, _SLURM_ENTITY)
        commands.append(["add", "cluster", cluster])
    parents = sorted({a.parent for a in desired} - set(by_name) - set(current) - {"root"})
    if parents:
        commands.append(["add", "account", ",".join(parents), *where_cluster, "parent=root"])

    # 1. New accounts, grouped by identical (parent, limits, blocked); parents first.
    new = [a for a in desired if a.account not in current]
    for depth_group in _by_depth(new, by_name):
        groups: dict[tuple[str, str, bool], list[str]] = defaultdict(list)
        for a in depth_group:
            groups[(a.parent, _tres_value(a.grp_tres_mins), a.blocked)].append(a.account)
        for (parent, tres, blocked), names in sorted(groups.items()):
            cmd = ["add", "account", ",".join(sorted(names)), *where_cluster, f"parent={parent}"]
            if tres:
                cmd.append(f"GrpTRESMins={tres}")
            if blocked:
                cmd += ["GrpSubmitJobs=0", "GrpJobs=0"]
            commands.append(cmd)

    # 2. Changed accounts, grouped by the identical "set" clause they need.
    changes: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for a in desired:
        cur = current.get(a.account)
        if cur is None:
            continue
        sets: list[str] = []
        if cur.parent != a.parent:
            sets.append(f"parent={a.parent}")
        if cur.grp_tres_mins != a.grp_tres_mins:
            # a TRES no longer limited is set to -1 (unlimited) explicitly
            limits = {k: UNLIMITED for k in cur.grp_tres_mins} | a.grp_tres_mins
            sets.append(f"GrpTRESMins={_tres_value(limits)}")
        if cur.blocked != a.blocked:
            v = "0" if a.blocked else str(UNLIMITED)
            sets += [f"GrpSubmitJobs={v}", f"GrpJobs={v}"]
        if sets:
            changes[tuple(sets)].append(a.account)
    for sets_key, names in sorted(changes.items()):
        commands.append(
            ["modify", "account", "where", f"name={','.join(sorted(names))}", *where_cluster,
             "set", *sets_key]
        )  # fmt: skip

    # 3. Users: additions grouped by account (one command adds many users to one account),
    # then accounts sharing the same user list are merged into one command.
    to_add: dict[str, list[str]] = {}
    to_remove: dict[str, list[str]] = {}
    for a in desired:
        have = current[a.account].users if a.account in current else set()
        if missing := sorted(set(a.users) - have):
            to_add[a.account] = missing
        if extra := sorted(have - set(a.users)):
            to_remove[a.account] = extra
    for verb, per_account in (("add", to_add), ("delete", to_remove)):
        merged: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for account, users in per_account.items():
            merged[tuple(users)].append(account)
        for users_key, accounts in sorted(merged.items()):
            user_names, accts = ",".join(users_key), ",".join(sorted(accounts))
            if verb == "add":
                commands.append(["add", "user", user_names, f"account={accts}", *where_cluster])
            else:
                commands.append(
                    ["delete", "user", "where", f"name={user_names}", f"account={accts}"]
                    + where_cluster
                )
    return commands


def _by_depth(
    accounts: Sequence[AccountLimit], by_name: Mapping[str, AccountLimit]
) -> list[list[AccountLimit]]:
    """Group new accounts by depth in the desired tree, so parents are created first."""

    def depth(a: AccountLimit) -> int:
        d, seen = 0, {a.account}
        while a.parent in by_name and a.parent not in seen:
            seen.add(a.parent)
            a, d = by_name[a.parent], d + 1
        return d

    levels: dict[int, list[AccountLimit]] = defaultdict(list)
    for a in accounts:
        levels[depth(a)].append(a)
    return [levels[k] for k in sorted(levels)]


def to_load_file(
    commands: Sequence[Sequence[str]], cluster: str, known_users: Set[str] = frozenset()
) -> str | None:
    """Render ``add user U account=A`` commands as one ``sacctmgr load`` file, else None.

    Each ``add user`` command costs a sacctmgr round trip that re-reads the associations
    (about 0.1 s each here), so thousands of them are sent as one load file instead. Users not
    in ``known_users`` get their first account as default; known users keep theirs.
    """
    lines = [f"Cluster - '{cluster}'"]
    defaulted: set[str] = set()
    for cmd in commands:
        if cmd[:2] != ["add", "user"]:
            return None
        users = cmd[2].split(",")
        accounts = next(c for c in cmd if c.startswith("account=")).removeprefix("account=")
        for account in accounts.split(","):
            lines.append(f"Parent - '{account}'")
            for u in users:
                if u in known_users or u in defaulted:
                    lines.append(f"User - '{u}'")
                else:
                    defaulted.add(u)
                    lines.append(f"User - '{u}':DefaultAccount='{account}'")
    return "\n".join(lines) + "\n"
