"""The catalogue as a Hugging Face Hub: repos are published assets, commits are versions.

Only published versions are served. A version's commit id is the SHA-1 of its manifest (the
asset, the label, each file's path, SHA-256 and size), so it is stable and nothing is stored.
`main` is the latest published version; a label or a commit id names one. Every catalogue
file is served as a Git LFS file (its ETag is its SHA-256). A version without a README.md
gets one generated from the asset's description, as the Hub shows every repo's card.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog.assets import has_published_version, is_owner_member, visible_asset
from aifhub.catalog.downloads import authorize_download
from aifhub.catalog.errors import GrantRequired
from aifhub.catalog.huggingface_cards import card_of, split_front_matter
from aifhub.catalog.models import AccessContract, Asset, AssetFile, AssetVersion
from aifhub.catalog.versions import check_file_path, find_version, version_files
from aifhub.core.db import utcnow
from aifhub.core.errors import InvalidInput, NotAuthenticated, NotFound
from aifhub.identity import project_role, project_slug
from aifhub.identity.models import User
from aifhub.schemas import hub as wire
from aifhub.schemas.enums.catalog import AccessPolicy, ContractState, VersionState

COMMIT = re.compile(r"^[0-9a-f]{40}$")
README = "README.md"
DEFAULT_PAGE = 50  # repos per listing page when the client gives no limit
MAX_PAGE = 1000  # as the Hub caps it
MAX_OFFSET = 10_000_000
SORTS = {
    "lastModified": Asset.updated_at,
    "last_modified": Asset.updated_at,
    "createdAt": Asset.created_at,
    "created_at": Asset.created_at,
    "downloads": Asset.downloads,
    "id": Asset.slug,
}


class RepoNotFound(NotFound):
    """No published asset of this kind by that id (the Hub's RepoNotFound)."""


class RevisionNotFound(NotFound):
    """The asset has no published version by that label or commit id."""


class EntryNotFound(NotFound):
    """The revision has no file (or folder) at that path."""


class HubSignInRequired(NotAuthenticated):
    """A download without a token; `gated` tells the client it is a gated repo."""

    def __init__(self, detail: str, *, gated: bool) -> None:
        super().__init__(detail)
        self.gated = gated


@dataclass(frozen=True)
class Revision:
    """A published version as a commit: its asset, its files and its commit id."""

    asset: Asset
    version: AssetVersion
    files: list[AssetFile]
    sha: str

    def file(self, path: str) -> AssetFile | None:
        """The version's file at this path, if any."""
        return next((f for f in self.files if f.path == path), None)


def commit_id(asset: Asset, version: AssetVersion, files: list[AssetFile]) -> str:
    """The 40-hex commit id of a published version, derived from its manifest."""
    h = hashlib.sha1(f"aifhub {asset.kind} {asset.slug} {version.label}\n".encode())
    for f in sorted(files, key=lambda f: f.path):
        h.update(f"{f.path}\0{f.sha256}\0{f.size}\n".encode())
    return h.hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The Git LFS pointer file of a blob."""
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()
    )


def git_blob_id(data: bytes) -> str:
    """Git's object id of a blob with this content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def generated_readme(asset: Asset) -> bytes:
    """The README.md served for a version that has none: the asset's card."""
    return card_of(asset).encode()


async def published_asset(session: AsyncSession, kind: str, repo_id: str) -> Asset:
    """A published asset of this kind (model/dataset) by id, else RepoNotFound."""
    try:
        asset = await visible_asset(session, None, repo_id)
    except NotFound:
        asset = None
    if asset is None or asset.kind != kind:
        raise RepoNotFound(
            f"No {kind} '{repo_id}' is published in this catalogue; check the id and the "
            "repo type (models and datasets are listed apart)."
        )
    return asset


async def resolve_revision(session: AsyncSession, kind: str, repo_id: str, rev: str) -> Revision:
    """A published version by 'main', label or commit id, with its files and commit id."""
    asset = await published_asset(session, kind, repo_id)
    if COMMIT.match(rev):
        rows = await session.scalars(
            select(AssetVersion).where(
                AssetVersion.asset_id == asset.id, AssetVersion.state == VersionState.PUBLISHED
            )
        )
        for version in rows.all():
            files = await version_files(session, version)
            if commit_id(asset, version, files) == rev:
                return Revision(asset, version, files, rev)
        raise RevisionNotFound(f"'{repo_id}' has no published version with commit {rev}.")
    try:
        version = await find_version(session, asset, None if rev == "main" else rev)
    except NotFound as exc:
        raise RevisionNotFound(
            f"'{repo_id}' has no published version '{rev}'; use 'main' (the latest), a version "
            "label or a commit id."
        ) from exc
    files = await version_files(session, version)
    return Revision(asset, version, files, commit_id(asset, version, files))


def _tags(asset: Asset) -> list[str]:
    tags = [*asset.tags, *asset.languages, f"license:{asset.license}"]
    if asset.library_name:
        tags.append(asset.library_name)
    if asset.task:
        tags.append(asset.task)
    return list(dict.fromkeys(tags))


def summary_of(asset: Asset, *, card_data: bool = False) -> wire.HubRepoSummary:
    """An asset as a listing entry."""
    return wire.HubRepoSummary(
        id=asset.slug,
        author=asset.slug.split("/", 1)[0],
        gated=False if asset.access_policy == AccessPolicy.OPEN else "manual",
        downloads=asset.downloads or 0,
        tags=_tags(asset),
        pipeline_tag=asset.task if asset.kind == "model" else None,
        library_name=asset.library_name,
        created_at=asset.created_at,
        last_modified=asset.updated_at,
        card_data=split_front_matter(card_of(asset))[0] if card_data else None,
    )


def _sibling(f: AssetFile) -> wire.HubSibling:
    pointer = lfs_pointer(f.sha256, f.size)
    lfs = wire.HubLfs(sha256=f.sha256, size=f.size, pointer_size=len(pointer))
    return wire.HubSibling(rfilename=f.path, size=f.size, blob_id=git_blob_id(pointer), lfs=lfs)


def repo_info(rev: Revision) -> wire.HubRepoInfo:
    """A published version as the Hub's repo info: id, commit, files, card data."""
    siblings = [_sibling(f) for f in rev.files]
    if rev.file(README) is None:
        readme = generated_readme(rev.asset)
        siblings.insert(
            0, wire.HubSibling(rfilename=README, size=len(readme), blob_id=git_blob_id(readme))
        )
    base = summary_of(rev.asset, card_data=True).model_dump(by_alias=False)
    base["last_modified"] = rev.version.published_at or rev.asset.updated_at
    return wire.HubRepoInfo(**base, sha=rev.sha, siblings=siblings)


def tree(rev: Revision, path: str, *, recursive: bool) -> list[wire.HubTreeEntry]:
    """The files (and folders) under a path of a revision, as the Hub's tree listing."""
    prefix = f"{path.strip('/')}/" if path.strip("/") else ""
    entries: dict[str, wire.HubTreeEntry] = {}
    files: list[tuple[str, AssetFile | None]] = [(f.path, f) for f in rev.files]
    if rev.file(README) is None:
        files.append((README, None))
    for fpath, f in files:
        if not fpath.startswith(prefix):
            continue
        rest = fpath[len(prefix) :]
        folders = rest.split("/")[:-1]
        # Folders have no object of their own here: their id is derived from commit and path.
        for i in range(len(folders) if recursive else min(1, len(folders))):
            folder = prefix + "/".join(folders[: i + 1])
            oid = hashlib.sha1(f"{rev.sha}:{folder}".encode()).hexdigest()
            entries.setdefault(
                folder, wire.HubTreeEntry(type="directory", oid=oid, size=0, path=folder)
            )
        if folders and not recursive:
            continue
        if f is None:
            readme = generated_readme(rev.asset)
            entries[fpath] = wire.HubTreeEntry(
                type="file", oid=git_blob_id(readme), size=len(readme), path=fpath
            )
        else:
            pointer = lfs_pointer(f.sha256, f.size)
            lfs = wire.HubTreeLfs(oid=f.sha256, size=f.size, pointer_size=len(pointer))
            entries[fpath] = wire.HubTreeEntry(
                type="file", oid=git_blob_id(pointer), size=f.size, path=fpath, lfs=lfs
            )
    if prefix and not entries:
        raise EntryNotFound(f"Revision {rev.sha} of '{rev.asset.slug}' has no folder '{path}'.")
    return sorted(entries.values(), key=lambda e: (e.type != "directory", e.path))


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "the cursor is not one this server gave; start the listing again"
        ) from exc
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput("the cursor is not one this server gave; start the listing again")
    return offset


def cursor_after(offset: int) -> str:
    """The opaque cursor of the page that starts at this offset."""
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


@dataclass(frozen=True)
class ListQuery:
    """What a Hub listing asks for."""

    kind: str
    search: str | None = None
    author: str | None = None
    pipeline_tag: str | None = None
    sort: str | None = None
    direction: int = -1
    limit: int | None = None
    cursor: str | None = None
    card_data: bool = False


async def list_repos(
    session: AsyncSession, q: ListQuery
) -> tuple[list[wire.HubRepoSummary], str | None]:
    """One page of published assets of a kind, and the cursor of the next page (or None)."""
    if q.sort is not None and q.sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(sorted(SORTS))}")
    size = min(q.limit or DEFAULT_PAGE, MAX_PAGE)
    if size < 1:
        raise InvalidInput("limit must be at least 1")
    offset = _offset(q.cursor)
    query = select(Asset).where(Asset.kind == q.kind, has_published_version())
    if q.search:
        words = q.search.strip().lower()
        query = query.where(
            Asset.slug.contains(words, autoescape=True)
            | func.lower(Asset.name).contains(words, autoescape=True)
        )
    if q.author:
        query = query.where(Asset.slug.startswith(f"{q.author.lower()}/", autoescape=True))
    if q.pipeline_tag:
        query = query.where(Asset.task == q.pipeline_tag)
    if q.sort is None:
        query = query.order_by(Asset.id)
    else:
        col = SORTS[q.sort]
        query = query.order_by(col.desc() if q.direction < 0 else col.asc(), Asset.id)
    rows = list(await session.scalars(query.offset(offset).limit(size + 1)))
    following = cursor_after(offset + size) if len(rows) > size else None
    return [summary_of(a, card_data=q.card_data) for a in rows[:size]], following


async def grant_project(session: AsyncSession, actor: User, asset: Asset) -> str | None:
    """The slug of the actor's newest project holding a grant in force for the asset."""
    now = utcnow()
    rows = await session.scalars(
        select(AccessContract)
        .where(
            AccessContract.asset_id == asset.id,
            AccessContract.state == ContractState.FINALIZED,
            AccessContract.ended_at.is_(None),
            AccessContract.expires_at.is_(None) | (AccessContract.expires_at > now),
        )
        .order_by(AccessContract.id.desc())
    )
    for contract in rows.all():
        if await project_role(session, actor, contract.project_id):
            return await project_slug(session, contract.project_id)
    return None


@dataclass(frozen=True)
class HubFile:
    """A file a caller may take: a version's file, or the generated README (`readme`)."""

    rev: Revision
    row: AssetFile | None
    readme: bytes | None = None


async def authorize_file(
    session: AsyncSession,
    actor: User | None,
    kind: str,
    repo_id: str,
    rev: str,
    path: str,
    *,
    project: str | None,
    log: bool,
) -> HubFile:
    """Check that the actor may take this file now (the catalogue's own download rule) and,
    when `log` (a GET, not a HEAD), write the access-log row as the catalogue's downloads do.

    Gated and restricted assets are taken under a project holding a grant: the one named
    (the X-Aifhub-Project header) or else the actor's newest project holding one.
    """
    revision = await resolve_revision(session, kind, repo_id, rev)
    check_file_path(path)
    asset = revision.asset
    if revision.file(path) is None:
        if path == README:
            return HubFile(revision, None, generated_readme(asset))
        raise EntryNotFound(f"Revision {revision.sha} of '{repo_id}' has no file '{path}'.")
    if actor is None:
        raise HubSignInRequired(
            f"Downloading from '{repo_id}' needs an aifhub API token: set HF_TOKEN to one.",
            gated=asset.access_policy != AccessPolicy.OPEN,
        )
    owner = await is_owner_member(session, actor, asset)
    if project is None and not owner and asset.access_policy != AccessPolicy.OPEN:
        project = await grant_project(session, actor, asset)
        if project is None:
            raise GrantRequired(
                f"'{repo_id}' is {asset.access_policy}: none of your projects holds a grant in "
                "force for it. Request access on its catalogue page, or name the project that "
                "holds the grant with the X-Aifhub-Project header.",
                asset=asset.slug,
            )
    _, _, row = await authorize_download(
        session, actor, asset.slug, revision.version.label, path, project_slug=project, log=log
    )
    return HubFile(revision, row)
