"""Hugging Face cards as the description of an asset: import one, replace one (owners)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog import assets
from aifhub.catalog.huggingface_cards import CARD_DEFAULTS, fields_from_meta, parse_card
from aifhub.catalog.models import Asset
from aifhub.core.errors import InvalidInput
from aifhub.identity.models import User
from aifhub.schemas import catalog as schemas


async def import_card(
    session: AsyncSession, actor: User, *, organisation: str, slug: str, kind: str, text: str
) -> Asset:
    """Create an asset from a Hugging Face README.md; its front matter is kept verbatim."""
    card = parse_card(text)
    fields = fields_from_meta(card.meta, card.body, kind=kind)
    fields.setdefault("name", slug.split("/")[-1])
    fields.setdefault("license", "unknown")
    try:
        data = schemas.AssetCreate.model_validate(
            {**fields, "organisation": organisation, "slug": slug, "kind": kind}
        )
    except ValueError as exc:
        raise InvalidInput(f"the card cannot describe an asset: {exc}") from exc
    return await assets.create_asset(session, actor, data=data, card_metadata=card.raw)


async def replace_card(session: AsyncSession, actor: User, slug: str, *, text: str) -> Asset:
    """Replace an asset's card (owners). A card with front matter is the whole description:
    a key it lacks empties that field; a card without front matter replaces the body only."""
    asset = await assets.get_asset(session, slug)
    await assets.require_owner(session, actor, asset)
    card = parse_card(text)
    fields = fields_from_meta(card.meta, card.body, kind=asset.kind)
    if card.raw is None:
        await assets.apply_changes(session, asset, fields)
        return asset
    changes = {**CARD_DEFAULTS, **fields}
    await assets.apply_changes(session, asset, changes, new_card=True, card_metadata=card.raw)
    return asset
