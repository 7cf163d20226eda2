"""The hook the compute domain calls: job inputs are checked at submission, staged read-only.

inputs = await check_job_inputs(session, project_id=p.id, refs=["org/data@v1"])
... create the job row, then in the same transaction:
record_staging(session, project_id=p.id, inputs=inputs, job_key=job_key)
... later, before the job starts (the grant may have been revoked meanwhile):
if not all([await grant_valid(session, i.grant_id, utcnow()) for i in inputs]): fail it
... and the worker links the files into the job's folder:
stage_into(store, inputs[0], job_dir / "inputs" / inputs[0].asset)
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog.assets import get_asset
from aifhub.catalog.grants import grant_valid, log_access, require_grant
from aifhub.catalog.models import Asset, AssetVersion
from aifhub.catalog.versions import find_version, version_files
from aifhub.core.db import utcnow
from aifhub.core.errors import InvalidInput, NotFound
from aifhub.identity.models import Project
from aifhub.storage import ObjectStore

__all__ = [
    "GrantedInput",
    "StagedFile",
    "check_job_inputs",
    "grant_valid",
    "record_staging",
    "stage_into",
    "stage_path",
]


@dataclass(frozen=True)
class StagedFile:
    """One file of a granted version."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class GrantedInput:
    """A job input the project may use: the exact version, its files, and the grant (if any)."""

    ref: str
    asset: str
    asset_id: int
    version: str
    version_id: int
    grant_id: int | None  # None: open asset, or the project's own organisation's asset
    files: tuple[StagedFile, ...]


def parse_ref(ref: str) -> tuple[str, str | None]:
    """'org/name@v1' -> ('org/name', 'v1'); no '@' means the latest published version."""
    slug, _, label = ref.strip().partition("@")
    if not slug:
        raise InvalidInput(f"'{ref}' is not an input reference; write <asset>[@<version>]")
    return slug, label or None


async def check_job_inputs(
    session: AsyncSession, *, project_id: int, refs: list[str], at: datetime | None = None
) -> list[GrantedInput]:
    """Resolve a JobSpec's inputs and check the project may use each inside the factory.

    Raises NotFound (404) for an unknown asset or version, GrantRequired / GrantExpired /
    PolicyDenied (403, naming the asset) when the project may not use it. Writes nothing.
    """
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound(f"No project {project_id}.")
    at = at or utcnow()
    out: list[GrantedInput] = []
    for ref in refs:
        slug, label = parse_ref(ref)
        asset = await get_asset(session, slug)
        version = await find_version(session, asset, label)
        grant = await require_grant(
            session, asset=asset, project=project, at=at, destination="factory"
        )
        files = await version_files(session, version)
        out.append(
            GrantedInput(
                ref=ref,
                asset=asset.slug,
                asset_id=asset.id,
                version=version.label,
                version_id=version.id,
                grant_id=grant.id if grant else None,
                files=tuple(StagedFile(f.path, f.sha256, f.size) for f in files),
            )
        )
    return out


async def record_staging(
    session: AsyncSession, *, project_id: int, inputs: list[GrantedInput], job_key: str
) -> None:
    """Write one access-log row per input staged into a job (call it with the job's commit)."""
    for item in inputs:
        asset = await session.get(Asset, item.asset_id)
        version = await session.get(AssetVersion, item.version_id)
        assert asset is not None
        log_access(
            session,
            asset=asset,
            version=version,
            action="stage",
            user_id=None,
            project_id=project_id,
            contract_id=item.grant_id,
            job_key=job_key,
        )


def stage_path(store: ObjectStore, item: GrantedInput) -> dict[str, Path]:
    """Where each file of a granted version is in the content-addressed store (path -> file)."""
    out: dict[str, Path] = {}
    for f in item.files:
        local = store.local_path(f.sha256)
        if local is None or not local.exists():
            raise FileNotFoundError(f"object {f.sha256} of {item.asset}/{f.path} is not stored")
        out[f.path] = local
    return out


def stage_into(store: ObjectStore, item: GrantedInput, dest: Path) -> Path:
    """Lay a granted version out under dest as read-only hard links (copies across devices)."""
    for rel, src in stage_path(store, item).items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()
        try:
            os.link(src, target)
        except OSError:
            shutil.copyfile(src, target)
            target.chmod(0o444)
    return dest
