"""Versions and files: a draft receives files, publishing freezes it. Files live in the store."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog.assets import get_asset, is_owner_member, require_owner, visible_asset
from aifhub.catalog.models import Asset, AssetFile, AssetVersion
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from aifhub.identity.models import User
from aifhub.schemas import catalog as schemas
from aifhub.schemas.enums.catalog import VersionState
from aifhub.storage import (
    ChecksumMismatch,
    ObjectStore,
    StoredObject,
    TooLarge,
    is_sha256,
    receive_stream,
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
UPLOAD_CHUNK = 1024 * 1024


def check_file_path(path: str) -> str:
    """A safe relative path inside a version, or InvalidInput naming what is wrong."""
    if not path or len(path) > 500:
        raise InvalidInput("a file path must have 1 to 500 characters")
    if "\x00" in path or _CONTROL.search(path):
        raise InvalidInput("a file path cannot contain NUL or control characters")
    if "\\" in path:
        raise InvalidInput("a file path uses '/' as separator, never a backslash")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise InvalidInput("a file path must be relative (no leading '/' or drive letter)")
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise InvalidInput(
                f"the file path '{path}' has an empty, '.' or '..' segment; give a plain path"
            )
    return path


def _version_read(v: AssetVersion, files: list[AssetFile]) -> schemas.VersionRead:
    return schemas.VersionRead(
        label=v.label,
        state=v.state,
        notes=v.notes,
        created_at=v.created_at,
        published_at=v.published_at,
        total_bytes=v.total_bytes,
        files=[schemas.FileRead.model_validate(f) for f in files],
    )


async def version_files(session: AsyncSession, version: AssetVersion) -> list[AssetFile]:
    """The files of a version, by path."""
    rows = await session.scalars(
        select(AssetFile).where(AssetFile.version_id == version.id).order_by(AssetFile.path)
    )
    return list(rows)


async def to_read(session: AsyncSession, version: AssetVersion) -> schemas.VersionRead:
    """The API view of a version with its files."""
    return _version_read(version, await version_files(session, version))


async def find_version(
    session: AsyncSession, asset: Asset, label: str | None, *, include_drafts: bool = False
) -> AssetVersion:
    """A version by label, or the latest published one when label is None."""
    query = select(AssetVersion).where(AssetVersion.asset_id == asset.id)
    if not include_drafts:
        query = query.where(AssetVersion.state == VersionState.PUBLISHED)
    if label:
        version = await session.scalar(query.where(AssetVersion.label == label))
    else:
        version = await session.scalar(
            query.where(AssetVersion.state == VersionState.PUBLISHED)
            .order_by(AssetVersion.published_at.desc(), AssetVersion.id.desc())
            .limit(1)
        )
    if version is None:
        what = f"version '{label}'" if label else "published version"
        raise NotFound(f"Asset '{asset.slug}' has no {what}.")
    return version


async def get_version(
    session: AsyncSession, actor: User | None, slug: str, label: str | None
) -> tuple[Asset, AssetVersion]:
    """An asset's version; drafts are seen only by the owning organisation."""
    asset = await visible_asset(session, actor, slug)
    drafts = await is_owner_member(session, actor, asset)
    return asset, await find_version(session, asset, label, include_drafts=drafts)


async def list_versions(session: AsyncSession, actor: User | None, slug: str) -> list[AssetVersion]:
    """An asset's versions, newest first (drafts only for the owning organisation)."""
    asset = await visible_asset(session, actor, slug)
    query = select(AssetVersion).where(AssetVersion.asset_id == asset.id)
    if not await is_owner_member(session, actor, asset):
        query = query.where(AssetVersion.state == VersionState.PUBLISHED)
    return list(await session.scalars(query.order_by(AssetVersion.id.desc())))


async def create_version(
    session: AsyncSession, actor: User, slug: str, *, data: schemas.VersionCreate
) -> AssetVersion:
    """Open a draft version that files are uploaded to (owners)."""
    asset = await get_asset(session, slug)
    await require_owner(session, actor, asset)
    exists = await session.scalar(
        select(AssetVersion.id).where(
            AssetVersion.asset_id == asset.id, AssetVersion.label == data.label
        )
    )
    if exists:
        raise Conflict(
            f"Asset '{slug}' already has a version '{data.label}'; versions are immutable."
        )
    version = AssetVersion(asset_id=asset.id, label=data.label, notes=data.notes, state="draft")
    session.add(version)
    await session.flush()
    await audit.record(session, "catalog.version_create", "asset", asset.slug, version=data.label)
    return version


async def _draft(
    session: AsyncSession, actor: User, slug: str, label: str
) -> tuple[Asset, AssetVersion]:
    asset = await get_asset(session, slug)
    await require_owner(session, actor, asset)
    version = await find_version(session, asset, label, include_drafts=True)
    if version.state != VersionState.DRAFT:
        raise Conflict(
            f"Version '{label}' of '{slug}' is published and immutable; create a new version."
        )
    return asset, version


def checked_digest(sha256: str) -> str:
    """The declared SHA-256, normalised, or InvalidInput saying how to send it."""
    sha256 = sha256.strip().lower()
    if not is_sha256(sha256):
        raise InvalidInput(
            "send the file's SHA-256 as 64 hex digits in the X-Content-SHA256 header"
        )
    return sha256


async def check_upload(
    session: AsyncSession, actor: User, slug: str, label: str, *, path: str, sha256: str
) -> str:
    """Everything an upload needs before its bytes are read: path, digest, owner, draft.

    Returns the normalised digest. Runs in a short session of its own: no database
    connection is held while the bytes stream (see receive_file and record_upload).
    """
    check_file_path(path)
    digest = checked_digest(sha256)
    await _draft(session, actor, slug, label)
    return digest


async def receive_file(
    store: ObjectStore, chunks: AsyncIterator[bytes], *, path: str, sha256: str, max_bytes: int
) -> StoredObject:
    """Stream the bytes into the store (temp file + hash), with errors a user can act on."""
    try:
        return await receive_stream(store, chunks, expected_sha256=sha256, max_bytes=max_bytes)
    except TooLarge as exc:
        raise PayloadTooLarge(
            f"The file is larger than the upload limit of {exc.limit} bytes; split it."
        ) from exc
    except ChecksumMismatch as exc:
        raise InvalidInput(
            f"Checksum mismatch for '{path}': you declared {exc.expected} but the "
            f"{exc.size} bytes received hash to {exc.actual}; upload the file again."
        ) from exc


async def record_upload(
    session: AsyncSession, actor: User, slug: str, label: str, *, path: str, stored: StoredObject
) -> AssetFile:
    """Record a received file in a draft version (uploading a path again replaces it).

    The draft is checked again: it may have been published, or the uploader removed from
    the organisation, while the bytes were streaming.
    """
    asset, version = await _draft(session, actor, slug, label)
    row = await session.scalar(
        select(AssetFile).where(AssetFile.version_id == version.id, AssetFile.path == path)
    )
    if row is None:
        row = AssetFile(version_id=version.id, path=path, sha256=stored.sha256, size=stored.size)
        session.add(row)
    else:
        row.sha256, row.size, row.created_at = stored.sha256, stored.size, utcnow()
    await session.flush()
    await audit.record(
        session, "catalog.file_upload", "asset", asset.slug,
        version=label, path=path, sha256=stored.sha256, size=stored.size,
    )  # fmt: skip
    return row


async def delete_draft_file(
    session: AsyncSession, actor: User, slug: str, label: str, *, path: str
) -> None:
    """Remove a file from a draft version (owners)."""
    asset, version = await _draft(session, actor, slug, label)
    row = await session.scalar(
        select(AssetFile).where(AssetFile.version_id == version.id, AssetFile.path == path)
    )
    if row is None:
        raise NotFound(f"Draft '{label}' of '{slug}' has no file '{path}'.")
    await session.delete(row)
    await audit.record(
        session, "catalog.file_delete", "asset", asset.slug, version=label, path=path
    )


async def publish_version(
    session: AsyncSession, actor: User, slug: str, label: str, *, store: ObjectStore
) -> AssetVersion:
    """Freeze a draft: from now on it is visible to everyone and never changes."""
    asset, version = await _draft(session, actor, slug, label)
    files = await version_files(session, version)
    if not files:
        raise Conflict(f"Draft '{label}' has no files yet; upload files before publishing.")
    missing = [f.path for f in files if not store.exists(f.sha256)]
    if missing:
        raise Conflict(f"These files are not in the store; upload them again: {', '.join(missing)}")
    version.state = VersionState.PUBLISHED.value
    version.published_at = utcnow()
    version.total_bytes = int(
        await session.scalar(
            select(func.coalesce(func.sum(AssetFile.size), 0)).where(
                AssetFile.version_id == version.id
            )
        )
        or 0
    )
    asset.updated_at = utcnow()
    await session.flush()
    await audit.record(session, "catalog.version_publish", "asset", asset.slug, version=label)
    return version


async def get_file(session: AsyncSession, version: AssetVersion, path: str) -> AssetFile:
    """A file of a version by path."""
    check_file_path(path)
    row = await session.scalar(
        select(AssetFile).where(AssetFile.version_id == version.id, AssetFile.path == path)
    )
    if row is None:
        raise NotFound(f"Version '{version.label}' has no file '{path}'.")
    return row


class Upload(Protocol):
    """A file posted with a form (Starlette's UploadFile fits)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...

    async def seek(self, offset: int) -> None: ...


async def _chunks(upload: Upload) -> AsyncIterator[bytes]:
    while chunk := await upload.read(UPLOAD_CHUNK):
        yield chunk


async def upload_from_page(
    session: AsyncSession,
    store: ObjectStore,
    actor: User,
    slug: str,
    label: str,
    upload: Upload,
    *,
    max_bytes: int,
) -> AssetFile:
    """A file posted from the asset's page into a draft version, opened if it does not exist.

    The browser sends no digest: the file (already spooled by the form parser) is hashed
    once, then received like an API upload, so the store checks the same digest.
    """
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    if not name:
        raise InvalidInput("Choose a file to upload.", field="file")
    check_file_path(name)
    asset = await get_asset(session, slug)
    await require_owner(session, actor, asset)
    exists = await session.scalar(
        select(AssetVersion.id).where(
            AssetVersion.asset_id == asset.id, AssetVersion.label == label
        )
    )
    if exists is None:
        await create_version(session, actor, slug, data=schemas.VersionCreate(label=label))
    digest = hashlib.sha256()
    async for chunk in _chunks(upload):
        digest.update(chunk)
    await upload.seek(0)
    sha = await check_upload(session, actor, slug, label, path=name, sha256=digest.hexdigest())
    stored = await receive_file(store, _chunks(upload), path=name, sha256=sha, max_bytes=max_bytes)
    return await record_upload(session, actor, slug, label, path=name, stored=stored)
