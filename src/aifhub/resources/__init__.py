"""The resources domain: clusters and partitions, declared in the site file, synced into tables.

This package is the domain's public face: other domains import only what it exports here
(the shared kernel, identity's models, excepted). Inside the domain, modules import each other
by their own path.
"""

from __future__ import annotations

from aifhub.resources.models import Cluster, Partition
from aifhub.resources.service import (
    UnknownPartition,
    enabled_clusters,
    find_partition,
    list_usable_partitions,
    partitions_by_key,
    usable_partition_keys,
    usable_partitions,
)
from aifhub.resources.site import sync_site

__all__ = [
    "Cluster",
    "Partition",
    "UnknownPartition",
    "enabled_clusters",
    "find_partition",
    "list_usable_partitions",
    "partitions_by_key",
    "sync_site",
    "usable_partition_keys",
    "usable_partitions",
]
