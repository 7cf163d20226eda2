"""Assets: create, edit, read. Owners are the owning organisation's owners and admins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog.huggingface_cards import CARD_FIELDS, rewrite_metadata
from aifhub.catalog.models import Asset, AssetVersion
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from aifhub.identity import ORG_MANAGERS, org_role
from aifhub.identity.models import Organisation, OrgMembership, User
from aifhub.schemas import catalog as schemas
from aifhub.schemas.enums.catalog import AccessPolicy, VersionState
from aifhub.schemas.enums.identity import StaffRole
from aifhub.schemas.policy import EU


def sovereignty_of(origin: str | None, hosted: str | None) -> str:
    """The sovereignty label: eu (made and hosted in the EU), eu_hosted, eu_made, non_eu."""
    made, kept = origin in EU, hosted in EU
    if made and kept:
        return "eu"
    if kept:
        return "eu_hosted"
    if made:
        return "eu_made"
    return "non_eu" if origin or hosted else "unknown"


def search_text_of(asset: Asset) -> str:
    """What full-text search indexes for an asset."""
    parts = [
        asset.name,
        asset.slug.replace("/", " ").replace("-", " "),
        asset.slug,
        asset.summary,
        " ".join(asset.tags or []),
        asset.task or "",
        " ".join(asset.base_models or []),
        asset.card[:20000],
    ]
    return "\n".join(p for p in parts if p)


async def get_asset(session: AsyncSession, slug: str) -> Asset:
    """An asset by slug (the catalogue is public: every asset's description can be read)."""
    asset = await session.scalar(select(Asset).where(Asset.slug == slug.lower()))
    if asset is None:
        raise NotFound(f"No asset '{slug}' in the catalogue.")
    return asset


def has_published_version() -> Any:
    """SQL condition: the asset has at least one published version (what the public sees)."""
    return (
        select(AssetVersion.id)
        .where(AssetVersion.asset_id == Asset.id, AssetVersion.state == VersionState.PUBLISHED)
        .exists()
    )


async def visible_asset(session: AsyncSession, actor: Any, slug: str) -> Asset:
    """An asset as the actor may see it: one with no published version yet is shown only to
    its organisation's members and staff admins (NotFound to everyone else)."""
    asset = await get_asset(session, slug)
    published = await session.scalar(select(has_published_version()).where(Asset.id == asset.id))
    if not published and not await is_owner_member(session, actor, asset):
        raise NotFound(f"No asset '{slug}' in the catalogue.")
    return asset


async def org_slug(session: AsyncSession, asset: Asset) -> str:
    """The slug of the organisation owning an asset."""
    return str(
        await session.scalar(select(Organisation.slug).where(Organisation.id == asset.org_id))
    )


async def is_owner_member(session: AsyncSession, actor: User | None, asset: Asset) -> bool:
    """True when the actor belongs to the owning organisation (any role) or is staff admin."""
    if actor is None:
        return False
    return actor.has_role(StaffRole.ADMIN) or bool(await org_role(session, actor, asset.org_id))


async def require_owner(session: AsyncSession, actor: User, asset: Asset) -> None:
    """Raise unless the actor manages the owning organisation (owner/admin) or is staff admin."""
    if actor.has_role(StaffRole.ADMIN):
        return
    if await org_role(session, actor, asset.org_id) not in ORG_MANAGERS:
        raise PermissionDenied(
            f"Only owners and admins of the organisation that publishes '{asset.slug}' can do this."
        )


async def _check_namespace(
    session: AsyncSession, actor: User, slug: str, org: Organisation
) -> None:
    """An asset's namespace (before the '/') is its organisation's slug; staff admins may
    mirror third-party namespaces (e.g. 'mistralai/...') into a catalogue organisation."""
    namespace = slug.split("/", 1)[0]
    if namespace == org.slug or actor.has_role(StaffRole.ADMIN):
        return
    managed = await session.scalars(
        select(Organisation.slug)
        .join(OrgMembership, OrgMembership.org_id == Organisation.id)
        .where(OrgMembership.user_id == actor.id, OrgMembership.role.in_(ORG_MANAGERS))
        .order_by(Organisation.slug)
    )
    allowed = ", ".join(f"'{s}/...'" for s in managed) or "none (you manage no organisation)"
    raise PermissionDenied(
        f"The namespace '{namespace}' is not yours: an asset of '{org.slug}' is named "
        f"'{org.slug}/<name>'. Namespaces you may use: {allowed}."
    )


def _check_consistency(asset: Asset) -> None:
    if asset.license == "other" and not (asset.license_name and asset.license_link):
        raise InvalidInput(
            "license 'other' needs license_name and license_link (a URL, or a file of the "
            "asset such as LICENSE)."
        )
    if asset.access_policy == AccessPolicy.RESTRICTED and not asset.policy_rules:
        raise InvalidInput("a restricted asset needs policy_rules (at least one permission).")
    if asset.kind == "dataset" and (asset.base_models or asset.library_name):
        raise InvalidInput("base_model and library_name describe models, not datasets.")


def _apply(asset: Asset, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(asset, key, value)
    # base_model is the first of base_models: either may be given, the other follows.
    if "base_models" in changes:
        asset.base_model = asset.base_models[0] if asset.base_models else None
    elif "base_model" in changes:
        asset.base_models = [asset.base_model] if asset.base_model else []
    asset.sovereignty = sovereignty_of(asset.origin_country, asset.hosted_country)
    asset.search_text = search_text_of(asset)
    asset.updated_at = utcnow()


async def create_asset(
    session: AsyncSession,
    actor: User,
    *,
    data: schemas.AssetCreate,
    card_metadata: str | None = None,
) -> Asset:
    """Publish a new asset's description in an organisation the actor manages (with an
    imported card's front matter, kept verbatim)."""
    org = await session.scalar(select(Organisation).where(Organisation.slug == data.organisation))
    if org is None or not (
        actor.has_role(StaffRole.ADMIN) or await org_role(session, actor, org.id) in ORG_MANAGERS
    ):
        raise NotFound(f"No organisation '{data.organisation}' that you manage.")
    await _check_namespace(session, actor, data.slug, org)
    if await session.scalar(select(Asset.id).where(Asset.slug == data.slug)):
        raise Conflict(f"The asset slug '{data.slug}' is taken; choose another.")
    fields = data.model_dump(exclude={"organisation"}, exclude_none=True, mode="json")
    asset = Asset(
        org_id=org.id,
        tags=[],
        languages=[],
        sectors=[],
        training_datasets=[],
        base_models=[],
        metrics=[],
        policy_rules={},
        gate_questions=[],
        card="",
        card_metadata=card_metadata,
        summary="",
        citation="",
        access_policy="open",
        grant_days=365,
        downloads=0,
    )
    _apply(asset, fields)
    _check_consistency(asset)
    session.add(asset)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"The asset slug '{data.slug}' is taken; choose another.") from exc
    await audit.record(session, "catalog.asset_create", "asset", asset.slug, kind=asset.kind)
    return asset


async def update_asset(
    session: AsyncSession, actor: User, slug: str, *, data: schemas.AssetUpdate
) -> Asset:
    """Change an asset's description or access policy (owners)."""
    asset = await get_asset(session, slug)
    await require_owner(session, actor, asset)
    changes = data.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    await apply_changes(session, asset, changes)
    return asset


async def apply_changes(
    session: AsyncSession,
    asset: Asset,
    changes: dict[str, Any],
    *,
    new_card: bool = False,
    card_metadata: str | None = None,
) -> None:
    """Apply checked changes to an asset the caller may edit, keep an imported card's front
    matter in step (or, for a new card, replace it with card_metadata), and audit."""
    before = {f: getattr(asset, f) for f in CARD_FIELDS}
    _apply(asset, changes)
    _check_consistency(asset)
    if new_card:
        asset.card_metadata = card_metadata
    elif asset.card_metadata is not None:
        changed = [f for f in CARD_FIELDS if getattr(asset, f) != before[f]]
        asset.card_metadata = rewrite_metadata(asset.card_metadata, asset, changed)
    await session.flush()
    await audit.record(session, "catalog.asset_update", "asset", asset.slug, fields=sorted(changes))


async def to_read(session: AsyncSession, asset: Asset) -> schemas.AssetRead:
    """The API view of an asset."""
    data = {c: getattr(asset, c) for c in schemas.AssetRead.model_fields if c != "organisation"}
    return schemas.AssetRead(organisation=await org_slug(session, asset), **data)
