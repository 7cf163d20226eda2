"""Cluster logins: which Unix account a user has on a cluster, and how it was proven.

A login is proven by staff (mapping), by a trusted identity-provider claim (the cluster's
`logins.oidc_provider`/`oidc_claim`) or by the site's mapping file (`logins.mapping_file`).
A user's own claim is only a request: pending, used nowhere (push, accounting, submission)
until staff approve it. Root, system accounts (uid < 1000 here), the platform's own account,
the Slurm service user and the site's reserved names are refused whoever asks.
"""

from __future__ import annotations

import getpass
import logging
import os
import pwd
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.compute.models import ClusterLogin
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from aifhub.identity import get_user_by_email
from aifhub.identity.models import User
from aifhub.resources import Cluster, UnknownPartition
from aifhub.schemas.enums.compute import LoginSource, LoginStatus
from aifhub.schemas.enums.identity import StaffRole

log = logging.getLogger("aifhub.compute.logins")

LOGIN_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
LOGIN_RULE = (
    "a login is 1 to 32 characters: lower-case letters, digits, '_' and '-', starting with a "
    "letter or '_'"
)
# System and service accounts of common distributions, refused even where this host lacks them.
SYSTEM_LOGINS = frozenset(
    "root daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc gnats "
    "nobody nogroup systemd-network systemd-resolve systemd-timesync messagebus syslog sshd "
    "_apt polkitd munge slurm slurmdbd slurmrestd mysql postgres admin administrator "
    "operator adm halt shutdown ftp nfsnobody".split()
)
SYSTEM_UID_MAX = 999


class LoginRefused(InvalidInput):
    """A login nobody may hold (syntax, root, a system or service account, the site's list)."""


@dataclass(frozen=True)
class LoginView:
    """A login as its owner or staff see it."""

    id: int
    cluster: str
    login: str
    status: str
    source: str
    reason: str | None
    user_email: str
    user_name: str
    created_at: datetime
    decided_at: datetime | None


def platform_user() -> str:
    """The Unix user the platform runs as."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return getpass.getuser()


def cluster_login_rules(cluster: Cluster) -> dict[str, Any]:
    """The cluster's `[clusters.logins]` settings, as synced from the site file."""
    rules = (cluster.settings or {}).get("logins")
    return rules if isinstance(rules, dict) else {}


def check_login(cluster: Cluster, login: str) -> None:
    """Refuse (422) a login that is malformed or reserved on this cluster, whoever asks."""
    if not LOGIN_RE.match(login):
        raise LoginRefused(f"'{login}' is not a valid login: {LOGIN_RULE}.")
    rules = cluster_login_rules(cluster)
    reserved = set(SYSTEM_LOGINS) | {platform_user(), str(rules.get("slurm_user") or "slurm")}
    reserved |= {str(x) for x in rules.get("reserved") or ()}
    system = login in reserved
    if not system:
        try:
            system = pwd.getpwnam(login).pw_uid <= SYSTEM_UID_MAX
        except KeyError:
            system = False
    if system:
        raise LoginRefused(
            f"'{login}' is a reserved or system account on '{cluster.name}' and is never "
            "given to a user; use your personal login on that cluster."
        )


async def _cluster(session: AsyncSession, name: str) -> Cluster:
    row = await session.scalar(select(Cluster).where(Cluster.name == name))
    if row is None:
        raise UnknownPartition(f"No cluster '{name}'.")
    return row


def _require_admin(actor: User) -> None:
    if not actor.has_role(StaffRole.ADMIN):
        raise PermissionDenied("Only the factory's admins map, approve or revoke cluster logins.")


async def _holder(session: AsyncSession, cluster: Cluster, login: str) -> ClusterLogin | None:
    return await session.scalar(
        select(ClusterLogin).where(
            ClusterLogin.cluster_id == cluster.id, ClusterLogin.login == login
        )
    )


async def _own_row(session: AsyncSession, cluster: Cluster, user_id: int) -> ClusterLogin | None:
    return await session.scalar(
        select(ClusterLogin).where(
            ClusterLogin.cluster_id == cluster.id, ClusterLogin.user_id == user_id
        )
    )


async def _free_login(
    session: AsyncSession, cluster: Cluster, login: str, user_id: int, *, by: str
) -> None:
    """Make `login` available to `user_id`, or raise 409 without saying who holds it."""
    holder = await _holder(session, cluster, login)
    if holder is None or holder.user_id == user_id:
        return
    # An approved login is someone's; a pending one gives way only to a proven source.
    pending = holder.status == LoginStatus.PENDING.value
    if holder.status == LoginStatus.APPROVED.value or (pending and by == "request"):
        raise Conflict(
            f"The login '{login}' on '{cluster.name}' is already taken. If it is yours, "
            "contact the factory's support."
        )
    # A rejected or revoked row (or, for a proven source, someone's mere request) gives way.
    await audit.record(
        session, "cluster_login.superseded", "cluster_login", holder.id, cluster=cluster.name,
        login=login, status=holder.status, by=by,
    )  # fmt: skip
    await session.delete(holder)
    await session.flush()


async def request_login(
    session: AsyncSession, user: User, *, cluster: str, login: str
) -> ClusterLogin:
    """A user asks for their login on a cluster: stored pending until staff decide."""
    row = await _cluster(session, cluster)
    check_login(row, login)
    mine = await _own_row(session, row, user.id)
    if mine is not None and mine.status == LoginStatus.APPROVED.value:
        if mine.login == login:
            return mine
        raise Conflict(
            f"Your login on '{cluster}' is already '{mine.login}'; ask the factory's support "
            "to change it."
        )
    await _free_login(session, row, login, user.id, by="request")
    if mine is None:
        mine = ClusterLogin(user_id=user.id, cluster_id=row.id, login=login)
        session.add(mine)
    mine.login, mine.status, mine.source = login, LoginStatus.PENDING.value, "request"
    mine.reason, mine.decided_by_id, mine.decided_at = None, None, None
    await session.flush()
    await audit.record(
        session, "cluster_login.requested", "cluster_login", mine.id, cluster=cluster, login=login
    )
    return mine


async def prove_login(
    session: AsyncSession,
    target_id: int,
    cluster: Cluster,
    login: str,
    *,
    source: LoginSource,
    decided_by: int | None,
) -> tuple[ClusterLogin, bool]:
    """Make `login` the approved login of the user on the cluster; (row, changed)."""
    check_login(cluster, login)
    mine = await _own_row(session, cluster, target_id)
    if (
        mine is not None
        and mine.login == login
        and mine.status == LoginStatus.APPROVED.value
        and mine.source == source.value
    ):
        return mine, False
    await _free_login(session, cluster, login, target_id, by=source.value)
    old = None if mine is None else (mine.login, mine.status)
    if mine is None:
        mine = ClusterLogin(user_id=target_id, cluster_id=cluster.id, login=login)
        session.add(mine)
    mine.login, mine.status, mine.source = login, LoginStatus.APPROVED.value, source.value
    mine.reason, mine.decided_by_id, mine.decided_at = None, decided_by, utcnow()
    await session.flush()
    await audit.record(
        session, "cluster_login.approved", "cluster_login", mine.id, cluster=cluster.name,
        login=login, source=source.value, previous=list(old) if old else None,
    )  # fmt: skip
    return mine, True


async def map_login(
    session: AsyncSession, actor: User, *, user_email: str, cluster: str, login: str
) -> ClusterLogin:
    """Staff set a user's proven login on a cluster (approved at once)."""
    _require_admin(actor)
    target = await get_user_by_email(session, user_email)
    if target is None:
        raise NotFound(f"No user '{user_email}'.")
    row, _ = await prove_login(
        session, target.id, await _cluster(session, cluster), login,
        source=LoginSource.STAFF, decided_by=actor.id,
    )  # fmt: skip
    return row


async def _staff_row(session: AsyncSession, actor: User, login_id: int) -> ClusterLogin:
    _require_admin(actor)
    row = await session.get(ClusterLogin, login_id)
    if row is None:
        raise NotFound(f"No cluster login request {login_id}.")
    return row


async def decide_request(
    session: AsyncSession, actor: User, *, login_id: int, approve: bool, reason: str = ""
) -> ClusterLogin:
    """Staff approve or reject a pending request (a rejection says why)."""
    row = await _staff_row(session, actor, login_id)
    if row.status != LoginStatus.PENDING.value:
        raise Conflict(f"This request is already {row.status}; only pending ones are decided.")
    reason = reason.strip()
    if approve:
        cluster = await session.get(Cluster, row.cluster_id)
        assert cluster is not None
        check_login(cluster, row.login)  # the rules may have changed since the request
        row.status, row.reason = LoginStatus.APPROVED.value, reason or None
    else:
        if not reason:
            raise InvalidInput("Say why the request is rejected: the user reads the reason.")
        row.status, row.reason = LoginStatus.REJECTED.value, reason
    row.decided_by_id, row.decided_at = actor.id, utcnow()
    await audit.record(
        session, f"cluster_login.{row.status}", "cluster_login", row.id, login=row.login,
        user_id=row.user_id, reason=row.reason,
    )  # fmt: skip
    return row


async def revoke_login(
    session: AsyncSession, actor: User, *, login_id: int, reason: str
) -> ClusterLogin:
    """Staff withdraw an approved login (the next push removes it from the Slurm accounts)."""
    row = await _staff_row(session, actor, login_id)
    if row.status != LoginStatus.APPROVED.value:
        raise Conflict(f"This login is {row.status}; only approved ones are revoked.")
    if not reason.strip():
        raise InvalidInput("Say why the login is revoked: the user reads the reason.")
    row.status, row.reason = LoginStatus.REVOKED.value, reason.strip()
    row.decided_by_id, row.decided_at = actor.id, utcnow()
    await audit.record(
        session, "cluster_login.revoked", "cluster_login", row.id, login=row.login,
        user_id=row.user_id, reason=row.reason,
    )  # fmt: skip
    return row


def _views_query() -> Any:
    return (
        select(ClusterLogin, Cluster.name, User.email, User.name)
        .join(Cluster, Cluster.id == ClusterLogin.cluster_id)
        .join(User, User.id == ClusterLogin.user_id)
    )


def _view(row: ClusterLogin, cluster: str, email: str, name: str) -> LoginView:
    return LoginView(
        id=row.id, cluster=cluster, login=row.login, status=row.status, source=row.source,
        reason=row.reason, user_email=email, user_name=name, created_at=row.created_at,
        decided_at=row.decided_at,
    )  # fmt: skip


async def login_view(session: AsyncSession, login_id: int) -> LoginView:
    """One login row as a view (callers have already been authorised for it)."""
    row = (await session.execute(_views_query().where(ClusterLogin.id == login_id))).one()
    return _view(*row)


async def logins_of(session: AsyncSession, user: User) -> list[LoginView]:
    """A user's logins and requests on the clusters, with their state."""
    rows = await session.execute(
        _views_query().where(ClusterLogin.user_id == user.id).order_by(Cluster.name)
    )
    return [_view(*r) for r in rows.all()]


async def list_logins(
    session: AsyncSession, actor: User, *, status: str | None = None
) -> list[LoginView]:
    """Every login or request (staff), optionally of one status, oldest first."""
    _require_admin(actor)
    query = _views_query().order_by(ClusterLogin.created_at, ClusterLogin.id)
    if status:
        if status not in {s.value for s in LoginStatus}:
            raise InvalidInput(
                f"Unknown status '{status}'; use one of "
                + ", ".join(s.value for s in LoginStatus)
                + "."
            )
        query = query.where(ClusterLogin.status == status)
    return [_view(*r) for r in (await session.execute(query)).all()]


async def approved_login(session: AsyncSession, *, user_id: int, cluster_id: int) -> str | None:
    """The user's approved (proven) login on the cluster, if any."""
    return await session.scalar(
        select(ClusterLogin.login).where(
            ClusterLogin.user_id == user_id,
            ClusterLogin.cluster_id == cluster_id,
            ClusterLogin.status == LoginStatus.APPROVED.value,
        )
    )


async def missing_login_message(session: AsyncSession, *, user_id: int, cluster: Cluster) -> str:
    """What a user without an approved login on a Slurm cluster must do before submitting."""
    row = await _own_row(session, cluster, user_id)
    if row is not None and row.status == LoginStatus.PENDING.value:
        return (
            f"Your login request '{row.login}' on cluster '{cluster.name}' is waiting for the "
            "staff's approval; you can submit there once it is approved."
        )
    if row is not None and row.status in (LoginStatus.REJECTED.value, LoginStatus.REVOKED.value):
        return (
            f"Your login '{row.login}' on cluster '{cluster.name}' was {row.status}"
            + (f" ({row.reason})" if row.reason else "")
            + "; request your login again on the Cluster logins page (/cluster-logins) or "
            "contact the factory's support."
        )
    return (
        f"You have no approved login on cluster '{cluster.name}'; request yours on the Cluster "
        "logins page (/cluster-logins, or `aifhub logins request`) and wait for the staff's "
        "approval before submitting there."
    )
