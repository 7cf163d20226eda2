"""Site file -> clusters/partitions: idempotent sync, disabling, defaults, the example file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aifhub.core.config import Settings, SiteConfig
from aifhub.resources.models import Cluster, Partition
from aifhub.resources.site import default_local_cluster, sync_site
from aifhub.schemas.durations import parse_duration

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "site.example.toml"


def test_parse_duration() -> None:
    assert parse_duration("90") == 90 and parse_duration("30m") == 1800
    assert parse_duration("2h") == 7200 and parse_duration("1d") == 86400
    assert parse_duration("1-02:00:00") == 93600 and parse_duration("00:10") == 600
    for bad in ("soon", "0", "-1h"):
        with pytest.raises(ValueError):
            parse_duration(bad)


async def test_example_site_file_syncs_idempotently(db):
    site = Settings(site_file=EXAMPLE).load_site()
    first = await sync_site(db, site)
    await db.commit()
    assert first["clusters"] == 2 and first["changed"] == 11
    again = await sync_site(db, site)
    assert again["changed"] == 0
    a100 = await db.scalar(select(Partition).where(Partition.key == "jean-zay/gpu_p5"))
    assert a100.charge_factor == Decimal(2) and a100.gpus_per_node == 8
    assert a100.max_time_s == 100 * 3600 and "qos_gpu-t4" in a100.qos
    mi250 = await db.scalar(select(Partition).where(Partition.key == "adastra/mi250"))
    assert mi250.constraint == "MI250" and mi250.gpus_per_node == 8
    cpu = await db.scalar(select(Partition).where(Partition.key == "jean-zay/cpu_p1"))
    assert cpu.unit == "cpu_hours"
    prepost = await db.scalar(select(Partition).where(Partition.key == "jean-zay/prepost"))
    assert prepost.charged is False


async def test_dropped_partition_is_disabled_not_deleted(db):
    site = Settings(site_file=EXAMPLE).load_site()
    await sync_site(db, site)
    raw = site.model_dump()
    raw["clusters"] = [c for c in raw["clusters"] if c["name"] == "adastra"]
    await sync_site(db, SiteConfig.model_validate(raw))
    await db.commit()
    jz = await db.scalar(select(Cluster).where(Cluster.name == "jean-zay"))
    assert jz.enabled is False
    assert await db.scalar(select(func.count()).select_from(Partition)) == 9


async def test_default_local_cluster(db):
    result = await sync_site(db, SiteConfig())
    assert result["clusters"] == 1
    keys = set(await db.scalars(select(Partition.key)))
    assert keys == {"local/cpu", "local/gpu"}
    conf = default_local_cluster()
    assert conf.settings["gpus"] >= 1 and conf.partitions[1].gpus_per_node == conf.settings["gpus"]


def test_bad_site_file_is_refused() -> None:
    bad = {"clusters": [{"name": "x", "partitions": [{"name": "p", "max_time": "forever"}]}]}
    from pydantic import ValidationError

    from aifhub.resources.site import ClusterConfig

    with pytest.raises(ValidationError, match="not a duration"):
        ClusterConfig.model_validate(bad["clusters"][0])
