"""The catalogue's `JobInputs` for compute: job inputs checked at submission, staged read-only.

inputs = await check_job_inputs(session, project_id=p.id, refs=["org/data@v1"])
... create the job row, then in the same transaction:
record_staging(session, project_id=p.id, inputs=inputs, job_key=job_key)
... later, before the job starts (the grant may have been revoked meanwhile):
if not all([await grant_valid(session, i.grant_id, utcnow()) for i in inputs]): fail it
... and the worker links the files into the job's folder:
stage_into(store, inputs[0], job_dir / "inputs" / inputs[0].asset)

The compute domain calls the methods of `CatalogJobInputs` (its `JobInputs` protocol,
provided by the catalogue's module object): ``check_inputs`` at submission,
``stage_inputs`` in the worker, right before the job reaches its backend, and
``usable_inputs`` for the submission form's picker.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.backends.base import StagedInput
from aifhub.catalog.assets import get_asset
from aifhub.catalog.errors import GrantExpired, GrantRequired, InputUnavailable, PolicyDenied
from aifhub.catalog.grants import grant_valid, log_access, require_grant
from aifhub.catalog.models import AccessContract, Asset, AssetVersion
from aifhub.catalog.versions import find_version, version_files
from aifhub.compute import UsableInput
from aifhub.core.db import utcnow
from aifhub.core.errors import InvalidInput, NotFound
from aifhub.core.infra import Infrastructure
from aifhub.identity.models import Project
from aifhub.schemas.enums.catalog import AccessPolicy, ContractState, VersionState
from aifhub.storage import ObjectStore

if TYPE_CHECKING:
    from aifhub.compute import Job
    from aifhub.identity.models import User
    from aifhub.schemas.compute import InputRef

__all__ = [
    "CatalogJobInputs",
    "GrantedInput",
    "StagedFile",
    "check_job_inputs",
    "grant_valid",
    "record_staging",
    "stage_into",
    "stage_path",
    "usable_inputs_of",
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


async def usable_inputs_of(
    session: AsyncSession, *, project: Project, at: datetime | None = None
) -> list[UsableInput]:
    """Every published version a project may use in a job now: open assets, its own
    organisation's, and those with a grant in force that `require_grant` accepts (a restricted
    asset's policy included), by kind, asset and newest version first."""
    at = at or utcnow()
    granted = select(AccessContract.asset_id).where(
        AccessContract.project_id == project.id,
        AccessContract.state == ContractState.FINALIZED,
        AccessContract.ended_at.is_(None),
        or_(AccessContract.expires_at.is_(None), AccessContract.expires_at > at),
    )
    rows = await session.execute(
        select(Asset, AssetVersion.label)
        .join(AssetVersion, AssetVersion.asset_id == Asset.id)
        .where(
            AssetVersion.state == VersionState.PUBLISHED,
            or_(
                Asset.access_policy == AccessPolicy.OPEN,
                Asset.org_id == project.org_id,
                Asset.id.in_(granted),
            ),
        )
        .order_by(Asset.kind, Asset.slug, AssetVersion.published_at.desc(), AssetVersion.id.desc())
    )
    allowed: dict[int, bool] = {}
    out: list[UsableInput] = []
    for asset, label in rows.all():
        if asset.id not in allowed:
            try:
                await require_grant(
                    session, asset=asset, project=project, at=at, destination="factory"
                )
                allowed[asset.id] = True
            except (GrantRequired, GrantExpired, PolicyDenied):
                allowed[asset.id] = False
        if allowed[asset.id]:
            out.append(UsableInput(kind=asset.kind, ref=f"{asset.slug}@{label}", name=asset.name))
    return out


# ------------------------------------------------------------------ the compute hook


def mount_path(asset: str, mount: str | None) -> str:
    """Where a job sees an input: the mount it asked for, else /inputs/<asset>."""
    return mount or f"/inputs/{asset}"


async def _check_refs(
    session: AsyncSession, *, project_id: int, inputs: list[dict[str, str]]
) -> list[GrantedInput]:
    seen: set[str] = set()
    for want in inputs:
        asset = await get_asset(session, parse_ref(want["ref"])[0])
        if asset.kind != want["kind"]:
            raise InvalidInput(
                f"'{asset.slug}' is a {asset.kind}, not a {want['kind']}; "
                f'write {{"kind": "{asset.kind}", "ref": "{want["ref"]}"}}.'
            )
        where = mount_path(asset.slug, want.get("mount"))
        if asset.slug in seen or where in seen:
            raise InvalidInput(f"Input '{asset.slug}' ({where}) is named twice; name it once.")
        seen.update({asset.slug, where})
    return await check_job_inputs(session, project_id=project_id, refs=[i["ref"] for i in inputs])


async def _last_grant(session: AsyncSession, *, project_id: int, asset: str) -> str:
    contract = await session.scalar(
        select(AccessContract)
        .join(Asset, Asset.id == AccessContract.asset_id)
        .where(Asset.slug == asset, AccessContract.project_id == project_id)
        .order_by(AccessContract.id.desc())
        .limit(1)
    )
    if contract is None:
        return "no grant"
    if contract.ended_at is not None:
        when = f"{contract.state} at {contract.ended_at:%Y-%m-%d %H:%M} UTC"
    elif contract.expires_at is not None:
        when = f"expired at {contract.expires_at:%Y-%m-%d %H:%M} UTC"
    else:
        when = contract.state
    return f"grant #{contract.id} {when}"


class CatalogJobInputs:
    """Job inputs are catalogue datasets and models the job's project is granted."""

    async def check_inputs(
        self, session: AsyncSession, *, user: User, project: Project, inputs: list[InputRef]
    ) -> None:
        """Refuse a job submission unless the project may use every input now (403 names it)."""
        refs = [i.model_dump(exclude_none=True) for i in inputs]
        await _check_refs(session, project_id=project.id, inputs=refs)

    async def stage_inputs(
        self, session: AsyncSession, *, job: Job, infra: Infrastructure
    ) -> list[StagedInput]:
        """Re-check a queued job's grants, stage its inputs read-only and log the staging.

        A grant revoked or expired while the job waited raises the grant error (naming the
        grant); the worker then ends the job failed without handing it to the backend.
        """
        try:
            granted = await _check_refs(session, project_id=job.project_id, inputs=job.inputs)
        except (GrantRequired, GrantExpired, PolicyDenied) as exc:
            asset = str(exc.extra.get("asset", ""))
            note = await _last_grant(session, project_id=job.project_id, asset=asset)
            raise type(exc)(f"{exc.detail} ({note})", **exc.extra) from exc
        store = infra.store
        base = infra.paths.job_inputs / str(job.id)
        staged: list[StagedInput] = []
        for want, item in zip(job.inputs, granted, strict=True):
            dest = base / item.asset
            try:
                stage_into(store, item, dest)
            except FileNotFoundError as exc:
                raise InputUnavailable(
                    f"Input '{item.asset}@{item.version}' cannot be staged: {exc}; "
                    "ask the asset's owner to upload it again.",
                    asset=item.asset,
                ) from exc
            staged.append(
                StagedInput(item.asset, str(dest), mount_path(item.asset, want.get("mount")))
            )
        await record_staging(
            session, project_id=job.project_id, inputs=granted, job_key=f"job:{job.id}"
        )
        return staged

    async def usable_inputs(
        self, session: AsyncSession, *, user: User, project: Project
    ) -> list[UsableInput]:
        """What the project may name as job inputs now (the submission form's picker)."""
        return await usable_inputs_of(session, project=project)
