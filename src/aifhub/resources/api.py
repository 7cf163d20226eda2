"""REST API of the resources domain: the partitions of the factory."""

from __future__ import annotations

from fastapi import APIRouter

from aifhub.core.db import DbSession
from aifhub.identity import CurrentUser
from aifhub.resources.service import list_usable_partitions
from aifhub.schemas.resources import PartitionRead

router = APIRouter(tags=["compute"])


@router.get("/partitions")
async def list_partitions(db: DbSession, user: CurrentUser) -> list[PartitionRead]:
    """The partitions one can submit to (all enabled ones of the factory)."""
    return [
        PartitionRead(
            key=p.key,
            cluster=c.name,
            name=p.name,
            accelerator=p.accelerator,
            gpus_per_node=p.gpus_per_node,
            cores_per_node=p.cores_per_node,
            mem_mb_per_node=p.mem_mb_per_node,
            nodes=p.nodes,
            max_time_s=p.max_time_s,
            charge_factor=str(p.charge_factor),
            unit=p.unit,
            qos=p.qos,
            constraint=p.constraint,
            sovereignty=c.sovereignty,
            country=c.country,
        )
        for p, c in await list_usable_partitions(db)
    ]
