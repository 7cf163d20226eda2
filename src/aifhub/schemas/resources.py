"""Wire shapes of the resources domain: the partitions one can apply for and submit to."""

from __future__ import annotations

from pydantic import BaseModel


class PartitionRead(BaseModel):
    """A usable partition with its sizes, charge and the sovereignty of its cluster."""

    key: str
    cluster: str
    name: str
    accelerator: str | None
    gpus_per_node: int
    cores_per_node: int
    mem_mb_per_node: int
    nodes: int
    max_time_s: int
    charge_factor: str
    unit: str
    qos: list[str]
    constraint: str | None
    sovereignty: str
    country: str
