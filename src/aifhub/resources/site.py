"""Clusters and partitions from the site file, synced into their tables idempotently."""

from __future__ import annotations

import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.backends.local.sandbox import BindPath
from aifhub.core import audit
from aifhub.core.config import SiteConfig
from aifhub.resources.models import Cluster, Partition
from aifhub.schemas.durations import parse_duration

NAME = r"^[a-z0-9][a-z0-9_.-]{0,62}$"


class PartitionConfig(BaseModel):
    """A `[[clusters.partitions]]` table."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME)
    accelerator: str | None = None
    gpus_per_node: int = Field(0, ge=0)
    cores_per_node: int = Field(1, ge=1)
    mem_mb_per_node: int = Field(1024, ge=1)
    nodes: int = Field(1, ge=1)
    max_time: str | int = "24h"
    charge_factor: Decimal = Field(Decimal(1), ge=0)
    unit: Literal["gpu_hours", "cpu_hours"] | None = None
    qos: list[str] = []
    constraint: str | None = None
    charged: bool = True
    # Jobs here may ask for network (staff must also grant it to the project).
    allow_network: bool = False

    @field_validator("max_time")
    @classmethod
    def _duration(cls, value: str | int) -> str | int:
        parse_duration(value)
        return value

    @property
    def resolved_unit(self) -> str:
        """gpu_hours when the partition has GPUs, unless the file says otherwise."""
        return self.unit or ("gpu_hours" if self.gpus_per_node > 0 else "cpu_hours")


class ClusterLoginsConfig(BaseModel):
    """A `[clusters.logins]` table: where this cluster's proven logins come from."""

    model_config = ConfigDict(extra="forbid")

    # The [[oidc]] provider whose claim is trusted as the user's login on this cluster, and
    # the claim's name (dotted for a nested claim). Both or neither.
    oidc_provider: str | None = None
    oidc_claim: str | None = None
    # A CSV file `email,login` (relative to the site file's folder) the site maintains.
    mapping_file: str | None = None
    # Logins nobody may hold here, on top of root, the system accounts and the service users.
    reserved: list[str] = []
    # The Slurm service user (slurm.conf `SlurmUser`); read from `slurm_conf` when unset.
    slurm_user: str | None = None
    # Only a Unix user of the platform's host may be approved or mapped: true by default where
    # this host submits the jobs (local, slurm CLI), false for slurmrest (the cluster's users
    # are not visible from here; the first submission then tells a missing one).
    require_unix_user: bool | None = Field(None, strict=True)

    @field_validator("oidc_claim")
    @classmethod
    def _both(cls, value: str | None, info: Any) -> str | None:
        if bool(value) != bool(info.data.get("oidc_provider")):
            raise ValueError("set both oidc_provider and oidc_claim, or neither")
        return value


# Cluster settings that name a file or folder on the platform's host.
PATH_SETTINGS = ("slurm_conf", "bin_dir")


class ClusterConfig(BaseModel):
    """A `[[clusters]]` table."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME)
    site: str = ""
    sovereignty: Literal["public", "private"] = "public"
    country: str = Field("FR", pattern=r"^[A-Z]{2}$")
    backend: Literal["local", "slurm", "slurmrest"] = "local"
    # Slurm account of a project on this cluster; {project} is the project's slug.
    account_format: str = "{project}"
    settings: dict[str, Any] = {}
    logins: ClusterLoginsConfig = ClusterLoginsConfig()
    partitions: list[PartitionConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _local_sandbox_settings(self) -> ClusterConfig:
        # Paths handed to Slurm's tools are resolved once, when the site file is read: a
        # relative one would otherwise depend on the folder a worker happens to start in.
        for key in PATH_SETTINGS:
            value = self.settings.get(key)
            if isinstance(value, str) and value and not Path(value).is_absolute():
                self.settings[key] = str(Path(value).expanduser().resolve())
        # A typo here would otherwise surface as a 500 at the first submission.
        if self.backend == "local":
            for entry in self.settings.get("bind_paths", []):
                BindPath.from_setting(entry)
            for key in ("job_uid", "job_gid"):
                if key in self.settings and int(self.settings[key]) == 0:
                    raise ValueError(f"{key} of cluster '{self.name}' must not be 0 (root)")
        return self


def declared_clusters(site: SiteConfig) -> list[ClusterConfig]:
    """The clusters of the site file, or the built-in `local` cluster when it declares none."""
    raw = site.section("clusters")
    if raw:
        return [ClusterConfig.model_validate(c) for c in raw]
    return [default_local_cluster()]


def detect_gpus() -> int:
    """How many NVIDIA GPUs `nvidia-smi -L` lists (0 without the tool or a driver)."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return 0
    try:
        out = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))


# Without real GPUs the demo `gpu` partition still hands out this many GPU *slots*: jobs are
# scheduled and charged per slot, CUDA_VISIBLE_DEVICES names the slot, and no device exists.
DEMO_GPU_SLOTS = 2


def default_local_cluster() -> ClusterConfig:
    """One `local` cluster of this machine: partitions `cpu` and `gpu` (real or demo slots)."""
    cpus = os.cpu_count() or 1
    real = detect_gpus()
    gpus = real or DEMO_GPU_SLOTS
    mem_mb = _mem_mb()
    return ClusterConfig(
        name="local",
        site="this machine",
        backend="local",
        settings={
            # Relative: under the data folder (compute/cluster_backends.py).
            "state_dir": "local-backend",
            "cpus": cpus,
            "gpus": gpus,
            "mem_mb": mem_mb,
            "demo_gpus": real == 0,
        },
        partitions=[
            PartitionConfig(
                name="cpu", cores_per_node=cpus, mem_mb_per_node=mem_mb, max_time="24h"
            ),
            PartitionConfig(
                name="gpu",
                accelerator="GPU" if real else "demo GPU slot",
                gpus_per_node=gpus,
                cores_per_node=cpus,
                mem_mb_per_node=mem_mb,
                max_time="24h",
            ),
        ],
    )


def _mem_mb() -> int:
    import psutil

    return int(psutil.virtual_memory().total // (1024 * 1024))


def _slurm_user(conf: ClusterConfig) -> str:
    """The cluster's Slurm service user: the site's word, else slurm.conf's, else `slurm`."""
    if conf.logins.slurm_user:
        return conf.logins.slurm_user
    path = conf.settings.get("slurm_conf")
    if path:
        try:
            for line in Path(str(path)).read_text().splitlines():
                key, _, value = line.split("#", 1)[0].partition("=")
                if key.strip().lower() == "slurmuser" and value.strip():
                    return value.strip()
        except OSError:
            pass  # the platform host may not see slurm.conf; the default is still refused
    return "slurm"


def login_rules(
    conf: ClusterConfig, site: SiteConfig, base_dir: Path | None = None
) -> dict[str, Any]:
    """The cluster's login rules as stored with it (mapping file made absolute)."""
    mapping = conf.logins.mapping_file
    if mapping:
        path = Path(mapping).expanduser()
        if not path.is_absolute():
            path = (base_dir or Path.cwd()) / path
        mapping = str(path.resolve())
    # `[compute] reserved_logins` (validated with the rest of that table by compute's config).
    factory_wide = (site.section("compute") or {}).get("reserved_logins") or []
    reserved = set(conf.logins.reserved) | {str(x) for x in factory_wide}
    return {
        "oidc_provider": conf.logins.oidc_provider,
        "oidc_claim": conf.logins.oidc_claim,
        "mapping_file": mapping,
        "reserved": sorted(reserved),
        "slurm_user": _slurm_user(conf),
        "require_unix_user": (
            conf.backend != "slurmrest"
            if conf.logins.require_unix_user is None
            else conf.logins.require_unix_user
        ),
    }


async def sync_site(
    session: AsyncSession, site: SiteConfig, *, base_dir: Path | None = None
) -> dict[str, int]:
    """Create or update clusters/partitions as the site file declares; disable the others.

    `base_dir` is the site file's folder: relative paths of the file (a login mapping file)
    are resolved against it, once, here.
    """
    declared = declared_clusters(site)
    clusters = {c.name: c for c in await session.scalars(select(Cluster))}
    partitions = {(p.cluster_id, p.name): p for p in await session.scalars(select(Partition))}
    changed = 0
    seen_clusters: set[int] = set()
    seen_partitions: set[int] = set()
    for conf in declared:
        settings = {
            **conf.settings,
            "account_format": conf.account_format,
            "logins": login_rules(conf, site, base_dir),
        }
        values = {
            "site": conf.site,
            "sovereignty": conf.sovereignty,
            "country": conf.country,
            "backend": conf.backend,
            "settings": settings,
            "enabled": True,
        }
        cluster = clusters.get(conf.name)
        if cluster is None:
            cluster = Cluster(name=conf.name, **values)
            session.add(cluster)
            await session.flush()
            await audit.record(session, "cluster.created", "cluster", cluster.id, name=conf.name)
            changed += 1
        elif _update(cluster, values):
            await audit.record(session, "cluster.updated", "cluster", cluster.id, name=conf.name)
            changed += 1
        seen_clusters.add(cluster.id)
        for pconf in conf.partitions:
            pvalues = {
                "key": f"{conf.name}/{pconf.name}",
                "accelerator": pconf.accelerator,
                "gpus_per_node": pconf.gpus_per_node,
                "cores_per_node": pconf.cores_per_node,
                "mem_mb_per_node": pconf.mem_mb_per_node,
                "nodes": pconf.nodes,
                "max_time_s": parse_duration(pconf.max_time),
                "charge_factor": pconf.charge_factor,
                "unit": pconf.resolved_unit,
                "qos": list(pconf.qos),
                "constraint": pconf.constraint,
                "charged": pconf.charged,
                "allow_network": pconf.allow_network,
                "enabled": True,
            }
            part = partitions.get((cluster.id, pconf.name))
            if part is None:
                part = Partition(cluster_id=cluster.id, name=pconf.name, **pvalues)
                session.add(part)
                await session.flush()
                await audit.record(session, "partition.created", "partition", part.id, **pvalues)
                changed += 1
            elif _update(part, pvalues):
                await audit.record(session, "partition.updated", "partition", part.id, **pvalues)
                changed += 1
            seen_partitions.add(part.id)
    # Never deleted (allocations and jobs point at them): what the file dropped is disabled.
    for cluster in clusters.values():
        if cluster.id not in seen_clusters and _update(cluster, {"enabled": False}):
            await audit.record(session, "cluster.disabled", "cluster", cluster.id)
            changed += 1
    for part in partitions.values():
        if part.id not in seen_partitions and _update(part, {"enabled": False}):
            await audit.record(session, "partition.disabled", "partition", part.id)
            changed += 1
    await session.flush()
    return {"clusters": len(declared), "changed": changed}


def _update(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        current = getattr(obj, key)
        if isinstance(value, Decimal) and current is not None:
            same = Decimal(current) == value
        else:
            same = current == value
        if not same:
            setattr(obj, key, value)
            changed = True
    return changed
