"""Downloads: who may take files out of the factory, and the access log owners read."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog.assets import get_asset, is_owner_member, require_owner
from aifhub.catalog.errors import GrantExpired, GrantRequired, PolicyDenied
from aifhub.catalog.grants import log_access, require_grant
from aifhub.catalog.models import AccessLogEntry, Asset, AssetFile, AssetVersion
from aifhub.catalog.versions import find_version, get_file
from aifhub.core.db import utcnow
from aifhub.identity import get_project
from aifhub.identity.models import Project, User
from aifhub.schemas import catalog as schemas
from aifhub.schemas.enums.catalog import AccessPolicy


async def authorize_download(
    session: AsyncSession,
    actor: User,
    slug: str,
    label: str | None,
    path: str,
    *,
    project_slug: str | None,
    log: bool = True,
) -> tuple[Asset, AssetVersion, AssetFile]:
    """Check that the actor may download this file now, and log the download (unless `log`
    is False: a HEAD request, which sends no bytes).

    Open assets: any signed-in user. Gated/restricted: the owning organisation's members, or
    a member of a project (named by `project_slug`) holding a grant whose policy permits export.
    """
    asset = await get_asset(session, slug)
    owner = await is_owner_member(session, actor, asset)
    version = await find_version(session, asset, label, include_drafts=owner)
    row = await get_file(session, version, path)
    project: Project | None = None
    contract_id: int | None = None
    if project_slug:
        project = await get_project(session, actor, project_slug)
    if not owner and asset.access_policy != AccessPolicy.OPEN:
        if project is None:
            raise GrantRequired(
                f"'{asset.slug}' is {asset.access_policy}: name the project that holds the "
                "grant (?project=<slug>, or --project in the CLI).",
                asset=asset.slug,
            )
        grant = await require_grant(
            session, asset=asset, project=project, at=utcnow(), destination="export"
        )
        contract_id = grant.id if grant else None
    if not log:
        return asset, version, row
    log_access(
        session,
        asset=asset,
        version=version,
        action="download",
        user_id=actor.id,
        project_id=project.id if project else None,
        contract_id=contract_id,
        path=path,
    )
    asset.downloads = (asset.downloads or 0) + 1
    return asset, version, row


async def access_log(
    session: AsyncSession, actor: User, slug: str, *, limit: int, offset: int
) -> list[schemas.AccessLogRead]:
    """Who accessed an asset's files, newest first (its owners only)."""
    asset = await get_asset(session, slug)
    await require_owner(session, actor, asset)
    rows = await session.execute(
        select(AccessLogEntry, AssetVersion.label, Project.slug, User.email)
        .outerjoin(AssetVersion, AssetVersion.id == AccessLogEntry.version_id)
        .outerjoin(User, User.id == AccessLogEntry.user_id)
        .outerjoin(Project, Project.id == AccessLogEntry.project_id)
        .where(AccessLogEntry.asset_id == asset.id)
        .order_by(AccessLogEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        schemas.AccessLogRead(
            at=e.at,
            action=e.action,
            version=label,
            path=e.path,
            user_id=e.user_id,
            user=email,
            project=pslug,
            job_key=e.job_key,
            client_addr=e.client_addr,
        )
        for e, label, pslug, email in rows.all()
    ]


async def export_refused(session: AsyncSession, actor: User, slug: str, project_slug: str) -> bool:
    """True when the asset's usage policy forbids this project to download its files now
    (a restricted asset may be usable in the factory's jobs only)."""
    asset = await get_asset(session, slug)
    project = await get_project(session, actor, project_slug)
    try:
        await require_grant(
            session, asset=asset, project=project, at=utcnow(), destination="export"
        )
    except (PolicyDenied, GrantRequired, GrantExpired):
        return True
    return False
