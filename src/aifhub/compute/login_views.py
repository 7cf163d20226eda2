"""Cluster logins as their owner or staff read them: one, a user's, or all with filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.compute.login_rules import unchecked_note
from aifhub.compute.models import ClusterLogin
from aifhub.core.errors import InvalidInput
from aifhub.identity.models import User
from aifhub.resources import Cluster
from aifhub.schemas.enums.compute import LoginStatus


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
    # Set where the platform cannot check that the login exists on the cluster (slurmrest).
    note: str | None = None


def _views_query() -> Any:
    return (
        select(ClusterLogin, Cluster, User.email, User.name)
        .join(Cluster, Cluster.id == ClusterLogin.cluster_id)
        .join(User, User.id == ClusterLogin.user_id)
    )


def _view(row: ClusterLogin, cluster: Cluster, email: str, name: str) -> LoginView:
    return LoginView(
        id=row.id, cluster=cluster.name, login=row.login, status=row.status, source=row.source,
        reason=row.reason, user_email=email, user_name=name, created_at=row.created_at,
        decided_at=row.decided_at, note=unchecked_note(cluster),
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


def check_status(status: str) -> None:
    """Refuse (422) a status that is not a login state, naming the ones that are."""
    if status not in {s.value for s in LoginStatus}:
        raise InvalidInput(
            f"Unknown status '{status}'; use one of "
            + ", ".join(s.value for s in LoginStatus)
            + ".",
            field="status",
        )


def _where(
    query: Any,
    *,
    status: str | None,
    cluster: str | None,
    user_email: str | None,
    search: str | None,
) -> Any:
    if status:
        check_status(status)
        query = query.where(ClusterLogin.status == status)
    if cluster:
        query = query.where(Cluster.name == cluster)
    if user_email:
        query = query.where(func.lower(User.email) == user_email.strip().lower())
    if search and search.strip():
        # A literal substring: the user's own % and _ are escaped, never patterns.
        text = search.strip().lower().replace("\\", "\\\\").replace("%", "\\%")
        like = "%" + text.replace("_", "\\_") + "%"
        query = query.where(
            or_(
                func.lower(User.email).like(like, escape="\\"),
                ClusterLogin.login.like(like, escape="\\"),
            )
        )
    return query


async def filtered_logins(
    session: AsyncSession,
    *,
    status: str | None = None,
    cluster: str | None = None,
    user_email: str | None = None,
    search: str | None = None,
    newest_first: bool = False,
    limit: int | None = None,
) -> tuple[list[LoginView], int]:
    """Logins of one status, cluster, user (e-mail) or matching `search` (e-mail or login),
    oldest first unless told (at most `limit` of them), and how many match in all."""
    filters = {"status": status, "cluster": cluster, "user_email": user_email, "search": search}
    order = ClusterLogin.id.desc() if newest_first else ClusterLogin.id
    query = _where(_views_query(), **filters).order_by(order).limit(limit)
    views = [_view(*r) for r in (await session.execute(query)).all()]
    if limit is None or len(views) < limit:
        return views, len(views)
    counted = _where(
        select(func.count())
        .select_from(ClusterLogin)
        .join(Cluster, Cluster.id == ClusterLogin.cluster_id)
        .join(User, User.id == ClusterLogin.user_id),
        **filters,
    )
    return views, int(await session.scalar(counted) or 0)
