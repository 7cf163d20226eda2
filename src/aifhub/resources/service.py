"""Reading clusters and partitions: the one definition of what users may use."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.errors import NotFound
from aifhub.resources.models import Cluster, Partition


class UnknownPartition(NotFound):
    """No enabled partition by that name (the known ones are listed)."""

    type, title = "unknown-partition", "Unknown partition"


def usable_partitions() -> Select[Partition, Cluster]:
    """(partition, cluster) rows one may apply for or submit to: both enabled, by key."""
    query = (
        select(Partition, Cluster)
        .join(Cluster, Cluster.id == Partition.cluster_id)
        .where(Partition.enabled, Cluster.enabled)
        .order_by(Partition.key)
    )
    return query


async def list_usable_partitions(session: AsyncSession) -> list[tuple[Partition, Cluster]]:
    """Every usable partition with its cluster, by key."""
    return [(p, c) for p, c in (await session.execute(usable_partitions())).all()]


async def usable_partition_keys(session: AsyncSession) -> list[str]:
    """The keys (`cluster/partition`) of every usable partition, sorted."""
    return [p.key for p, _ in await list_usable_partitions(session)]


async def find_partition(session: AsyncSession, name: str) -> tuple[Partition, Cluster]:
    """A usable partition by key (`cluster/partition`) or by a name only one cluster uses."""
    query = usable_partitions()
    column = Partition.key if "/" in name else Partition.name
    rows = (await session.execute(query.where(column == name))).all()
    if len(rows) == 1:
        return rows[0][0], rows[0][1]
    if not rows:
        known = await usable_partition_keys(session)
        raise UnknownPartition(
            f"No partition '{name}'. Partitions: {', '.join(known) or 'none configured'}."
        )
    raise UnknownPartition(
        f"'{name}' is a partition of several clusters; name one of "
        f"{', '.join(p.key for p, _ in rows)}."
    )


async def partitions_by_key(session: AsyncSession, keys: Sequence[str]) -> dict[str, Partition]:
    """Usable partitions among these keys (an unknown or disabled key is simply absent)."""
    rows = await session.execute(usable_partitions().where(Partition.key.in_(list(keys))))
    return {p.key: p for p, _ in rows.all()}


async def enabled_clusters(session: AsyncSession) -> list[Cluster]:
    """Every enabled cluster, by name."""
    return list(
        await session.scalars(select(Cluster).where(Cluster.enabled).order_by(Cluster.name))
    )
