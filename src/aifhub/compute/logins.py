"""Cluster logins: which Unix account a user has on a cluster, and how it was proven.

A login is proven by staff (mapping), by a trusted identity-provider claim (the cluster's
`logins.oidc_provider`/`oidc_claim`) or by the site's mapping file (`logins.mapping_file`).
A user's own claim is only a request: pending, used nowhere (push, accounting, submission)
until staff approve it. Root, system accounts (uid < 1000 here), the platform's own account,
the Slurm service user and the site's reserved names are refused whoever asks; where this
host submits the cluster's jobs, an approved login must also be a Unix user of this host
(login_rules.py).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.compute.login_rules import (
    LOGIN_RULE,
    SYSTEM_LOGINS,
    LoginRefused,
    NotAUnixUser,
    UnknownCluster,
    check_login,
    check_provable,
    cluster_login_rules,
    platform_user,
    requires_unix_user,
    unchecked_note,
)
from aifhub.compute.login_views import LoginView, filtered_logins, login_view, logins_of
from aifhub.compute.models import ClusterLogin
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from aifhub.core.i18n import N_, Text
from aifhub.identity import get_user_by_email
from aifhub.identity.models import User
from aifhub.resources import Cluster
from aifhub.schemas.enums.compute import LoginSource, LoginStatus
from aifhub.schemas.enums.identity import StaffRole

__all__ = [
    "LOGIN_RULE", "SYSTEM_LOGINS", "LoginRefused", "LoginView", "NotAUnixUser", "check_login",
    "cluster_login_rules", "login_view", "logins_of", "platform_user", "requires_unix_user",
    "unchecked_note",
]  # fmt: skip

log = logging.getLogger("aifhub.compute.logins")


async def _cluster(session: AsyncSession, name: str) -> Cluster:
    row = await session.scalar(select(Cluster).where(Cluster.name == name))
    if row is None or not row.enabled:
        known = await session.scalars(
            select(Cluster.name).where(Cluster.enabled.is_(True)).order_by(Cluster.name)
        )
        raise UnknownCluster(
            Text(
                N_("No cluster '%(name)s'; the clusters are: %(known)s."),
                name=name,
                known=", ".join(known) or "-",
            ),
            field="cluster",
        )
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
            Text(
                N_(
                    "The login '%(login)s' on '%(cluster)s' is already taken. If it is yours, "
                    "contact the factory's support."
                ),
                login=login,
                cluster=cluster.name,
            ),
            field="login",
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
            "to change it.",
            field="login",
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
    check_provable(cluster, login)
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
    target = await get_user_by_email(session, user_email.strip())
    if target is None:
        raise NotFound(
            Text(
                N_(
                    "No user has the e-mail '%(email)s': check the spelling, or ask them to "
                    "create their account first."
                ),
                email=user_email.strip(),
            ),
            field="user_email",
        )
    row, _ = await prove_login(
        session, target.id, await _cluster(session, cluster), login,
        source=LoginSource.STAFF, decided_by=actor.id,
    )  # fmt: skip
    return row


async def _staff_row(session: AsyncSession, actor: User, login_id: int) -> ClusterLogin:
    _require_admin(actor)
    row = await session.get(ClusterLogin, login_id)
    if row is None:
        raise NotFound(
            f"No cluster login {login_id}; `aifhub logins list --all` lists them with their ids."
        )
    return row


async def decide_request(
    session: AsyncSession, actor: User, *, login_id: int, approve: bool, reason: str = ""
) -> ClusterLogin:
    """Staff approve or reject a pending request (a rejection says why)."""
    row = await _staff_row(session, actor, login_id)
    if row.status != LoginStatus.PENDING.value:
        raise Conflict(
            Text(
                N_("This request is already %(status)s; only pending ones are decided."),
                status=LoginStatus(row.status),
            )
        )
    reason = reason.strip()
    if approve:
        cluster = await session.get(Cluster, row.cluster_id)
        assert cluster is not None
        check_provable(cluster, row.login)  # the rules may have changed since the request
        row.status, row.reason = LoginStatus.APPROVED.value, reason or None
    else:
        if not reason:
            raise InvalidInput(
                Text(N_("Say why the request is rejected: the user reads the reason.")),
                field="reason",
            )
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
        raise Conflict(
            Text(
                N_("This login is %(status)s; only approved ones are revoked."),
                status=LoginStatus(row.status),
            )
        )
    if not reason.strip():
        raise InvalidInput(
            Text(N_("Say why the login is revoked: the user reads the reason.")), field="reason"
        )
    row.status, row.reason = LoginStatus.REVOKED.value, reason.strip()
    row.decided_by_id, row.decided_at = actor.id, utcnow()
    await audit.record(
        session, "cluster_login.revoked", "cluster_login", row.id, login=row.login,
        user_id=row.user_id, reason=row.reason,
    )  # fmt: skip
    return row


async def list_logins(
    session: AsyncSession,
    actor: User,
    *,
    status: str | None = None,
    cluster: str | None = None,
    user_email: str | None = None,
    search: str | None = None,
) -> list[LoginView]:
    """Every login or request (staff), oldest first, filtered by status, cluster, user, text."""
    views, _ = await page_of_logins(
        session, actor, status=status, cluster=cluster, user_email=user_email, search=search
    )
    return views


async def page_of_logins(
    session: AsyncSession,
    actor: User,
    *,
    status: str | None = None,
    cluster: str | None = None,
    user_email: str | None = None,
    search: str | None = None,
    newest_first: bool = False,
    limit: int | None = None,
) -> tuple[list[LoginView], int]:
    """Logins as list_logins filters them, at most `limit`, with how many match in all."""
    _require_admin(actor)
    if cluster:
        await _cluster(session, cluster)
    return await filtered_logins(
        session, status=status, cluster=cluster, user_email=user_email, search=search,
        newest_first=newest_first, limit=limit,
    )  # fmt: skip


async def show_login(session: AsyncSession, actor: User, login_id: int) -> LoginView:
    """One login or request, whoever's (staff)."""
    row = await _staff_row(session, actor, login_id)
    return await login_view(session, row.id)


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
