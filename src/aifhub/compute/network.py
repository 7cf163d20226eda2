"""Network for jobs: allowed by the site file per partition AND granted by staff per project."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import resources
from aifhub.compute.errors import NetworkNotAllowed
from aifhub.compute.models import NetworkGrant
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from aifhub.identity.models import Project, User
from aifhub.resources import Cluster, Partition
from aifhub.schemas.compute import NetworkGrantRead
from aifhub.schemas.enums.identity import StaffRole


def _require_admin(user: User) -> None:
    if not user.has_role(StaffRole.ADMIN):
        raise PermissionDenied("Only staff admins grant or revoke network access to projects.")


async def active_grant(
    session: AsyncSession, *, project_id: int, partition: Partition
) -> NetworkGrant | None:
    """The project's unrevoked grant for this partition or its whole cluster, if any."""
    return await session.scalar(
        select(NetworkGrant)
        .where(
            NetworkGrant.project_id == project_id,
            NetworkGrant.cluster_id == partition.cluster_id,
            or_(NetworkGrant.partition_id.is_(None), NetworkGrant.partition_id == partition.id),
            NetworkGrant.revoked_at.is_(None),
        )
        .order_by(NetworkGrant.id)
        .limit(1)
    )


async def network_refusal(
    session: AsyncSession, *, project: Project, partition: Partition
) -> str | None:
    """Why a job of the project may not use the network on the partition; None when it may."""
    missing = []
    if not partition.allow_network:
        missing.append(f"the partition '{partition.key}' does not allow network (a site setting)")
    if await active_grant(session, project_id=project.id, partition=partition) is None:
        missing.append(
            f"project '{project.slug}' has no network grant from the staff on '{partition.key}'"
        )
    if not missing:
        return None
    return "Network access needs both; missing: " + "; ".join(missing) + "."


async def check_network(session: AsyncSession, *, project: Project, partition: Partition) -> None:
    """Refuse (403) a job asking for network without the partition's leave and a grant."""
    refusal = await network_refusal(session, project=project, partition=partition)
    if refusal is not None:
        raise NetworkNotAllowed(refusal + " Submit without allow_network, or ask the staff.")


async def network_targets(session: AsyncSession) -> list[str]:
    """What a grant may name: clusters, then partitions, of usable partitions allowing network."""
    rows = (
        await session.execute(
            resources.usable_partitions()
            .where(Partition.allow_network)
            .with_only_columns(Cluster.name, Partition.key)
        )
    ).all()
    return sorted({c for c, _ in rows}) + [k for _, k in rows]


async def grant_network(
    session: AsyncSession, staff: User, *, project_slug: str, target: str, note: str = ""
) -> NetworkGrant:
    """Grant a project network on a cluster (`target` = cluster) or a partition (`c/p`)."""
    _require_admin(staff)
    project = await session.scalar(select(Project).where(Project.slug == project_slug))
    if project is None:
        raise NotFound(f"No project '{project_slug}'.", field="project")
    cluster_name, _, partition_name = target.partition("/")
    cluster = await session.scalar(select(Cluster).where(Cluster.name == cluster_name))
    if cluster is None:
        raise NotFound(f"No cluster '{cluster_name}'.", field="target")
    partition_id = None
    if partition_name:
        partition = await session.scalar(select(Partition).where(Partition.key == target))
        if partition is None:
            raise NotFound(f"No partition '{target}'.", field="target")
        if not partition.allow_network:
            raise InvalidInput(
                f"The site file does not allow network on '{target}' (allow_network = false); "
                "a grant there would have no effect.",
                field="target",
            )
        partition_id = partition.id
    existing = await session.scalar(
        select(NetworkGrant.id).where(
            NetworkGrant.project_id == project.id,
            NetworkGrant.cluster_id == cluster.id,
            NetworkGrant.partition_id.is_(None)
            if partition_id is None
            else NetworkGrant.partition_id == partition_id,
            NetworkGrant.revoked_at.is_(None),
        )
    )
    if existing is not None:
        raise Conflict(f"Project '{project.slug}' already has network on '{target}'.")
    grant = NetworkGrant(
        project_id=project.id,
        cluster_id=cluster.id,
        partition_id=partition_id,
        granted_by_id=staff.id,
        note=note,
    )
    session.add(grant)
    await session.flush()
    await audit.record(
        session, "network.granted", "network_grant", grant.id, project=project.slug, target=target
    )
    return grant


async def revoke_network(session: AsyncSession, staff: User, *, grant_id: int) -> NetworkGrant:
    """Revoke a grant: queued jobs relying on it fail at delivery, new ones are refused."""
    _require_admin(staff)
    grant = await session.get(NetworkGrant, grant_id)
    if grant is None:
        raise NotFound(f"No network grant {grant_id}.")
    if grant.revoked_at is not None:
        raise Conflict(f"Network grant {grant_id} is already revoked.")
    grant.revoked_at, grant.revoked_by_id = utcnow(), staff.id
    await audit.record(session, "network.revoked", "network_grant", grant.id)
    await session.flush()
    return grant


async def list_grants(
    session: AsyncSession, *, include_revoked: bool = False
) -> list[NetworkGrantRead]:
    """Every grant, newest first, with the project's slug and the target's name."""
    query = (
        select(NetworkGrant, Project.slug, Cluster.name, Partition.key)
        .join(Project, Project.id == NetworkGrant.project_id)
        .join(Cluster, Cluster.id == NetworkGrant.cluster_id)
        .outerjoin(Partition, Partition.id == NetworkGrant.partition_id)
        .order_by(NetworkGrant.id.desc())
    )
    if not include_revoked:
        query = query.where(NetworkGrant.revoked_at.is_(None))
    return [
        NetworkGrantRead(
            id=g.id,
            project=slug,
            target=key or cluster_name,
            granted_at=g.granted_at,
            granted_by_id=g.granted_by_id,
            note=g.note,
            revoked_at=g.revoked_at,
        )
        for g, slug, cluster_name, key in (await session.execute(query)).all()
    ]
