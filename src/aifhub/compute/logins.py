"""Cluster logins: which Unix account a user has on a cluster (staff set; a user claims once)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.compute.errors import UnknownPartition
from aifhub.compute.models import Cluster, ClusterLogin
from aifhub.core import audit
from aifhub.core.errors import Conflict, NotFound, PermissionDenied
from aifhub.identity.models import StaffRole, User
from aifhub.identity.service import get_user_by_email


async def set_cluster_login(
    session: AsyncSession, actor: User, *, cluster: str, login: str, user_email: str | None = None
) -> ClusterLogin:
    """Staff set anyone's login; a user may claim their own once (then only staff change it)."""
    target = actor
    if user_email is not None and user_email.lower() != actor.email.lower():
        if not actor.has_role(StaffRole.ADMIN):
            raise PermissionDenied("Only the factory's admins set another user's cluster login.")
        found = await get_user_by_email(session, user_email)
        if found is None:
            raise NotFound(f"No user '{user_email}'.")
        target = found
    row = await session.scalar(select(Cluster).where(Cluster.name == cluster))
    if row is None:
        raise UnknownPartition(f"No cluster '{cluster}'.")
    taken = await session.scalar(
        select(ClusterLogin).where(ClusterLogin.cluster_id == row.id, ClusterLogin.login == login)
    )
    if taken is not None and taken.user_id != target.id:
        raise Conflict(f"The login '{login}' on '{cluster}' belongs to another user.")
    existing = await session.scalar(
        select(ClusterLogin).where(
            ClusterLogin.cluster_id == row.id, ClusterLogin.user_id == target.id
        )
    )
    by_staff = actor.has_role(StaffRole.ADMIN)
    if existing is not None:
        if not by_staff:
            raise Conflict(
                f"Your login on '{cluster}' is already '{existing.login}'; ask the staff to "
                "change it."
            )
        old = existing.login
        existing.login, existing.set_by_staff = login, True
        await audit.record(
            session, "cluster_login.changed", "cluster_login", existing.id, old=old, new=login
        )
        return existing
    created = ClusterLogin(user_id=target.id, cluster_id=row.id, login=login, set_by_staff=by_staff)
    session.add(created)
    await session.flush()
    await audit.record(
        session, "cluster_login.set", "cluster_login", created.id, cluster=cluster, login=login
    )
    return created


async def logins_of(session: AsyncSession, user: User) -> list[tuple[str, str]]:
    """(cluster, login) pairs of a user."""
    rows = await session.execute(
        select(Cluster.name, ClusterLogin.login)
        .join(Cluster, Cluster.id == ClusterLogin.cluster_id)
        .where(ClusterLogin.user_id == user.id)
        .order_by(Cluster.name)
    )
    return [(c, lg) for c, lg in rows.all()]
