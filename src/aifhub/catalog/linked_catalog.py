"""The public assets as linked data: one asset's export, and the paged dcat:Catalog that
harvesters (data.europa.eu's among them) crawl by following hydra:next.

Only assets with a published version are described (what the public catalogue lists), each
with the files of its latest published version. Nothing else leaves: no drafts, no gate
questions, no requests or grants; a restricted asset's usage policy is published on purpose
(ODRL), since it tells a requester the terms before asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog.assets import get_asset, has_published_version
from aifhub.catalog.linked_data import AUTHORITY, CONTEXT, Publisher, dataset_node
from aifhub.catalog.linked_schema import schema_org
from aifhub.catalog.models import Asset, AssetFile, AssetVersion
from aifhub.core.errors import NotFound
from aifhub.identity.models import Organisation
from aifhub.schemas.enums.catalog import VersionState

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class LinkedAsset:
    """A public asset with what its export needs."""

    asset: Asset
    publisher: Publisher
    version: AssetVersion | None
    files: list[AssetFile]


async def _publishers(session: AsyncSession, org_ids: set[int]) -> dict[int, Publisher]:
    rows = await session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))
    return {o.id: Publisher(slug=o.slug, name=o.name, kind=o.kind, website=o.website) for o in rows}


async def _linked(session: AsyncSession, rows: list[Asset]) -> list[LinkedAsset]:
    ids = [a.id for a in rows]
    publishers = await _publishers(session, {a.org_id for a in rows})
    latest: dict[int, AssetVersion] = {}
    versions = await session.scalars(
        select(AssetVersion)
        .where(AssetVersion.asset_id.in_(ids), AssetVersion.state == VersionState.PUBLISHED)
        .order_by(AssetVersion.published_at.desc(), AssetVersion.id.desc())
    )
    for v in versions:
        latest.setdefault(v.asset_id, v)
    files: dict[int, list[AssetFile]] = {v.id: [] for v in latest.values()}
    if files:
        found = await session.scalars(
            select(AssetFile).where(AssetFile.version_id.in_(list(files))).order_by(AssetFile.path)
        )
        for f in found:
            files[f.version_id].append(f)
    result = []
    for a in rows:
        found_version = latest.get(a.id)
        found_files = files[found_version.id] if found_version else []
        result.append(LinkedAsset(a, publishers[a.org_id], found_version, found_files))
    return result


async def public_asset(session: AsyncSession, slug: str) -> LinkedAsset:
    """A published asset with its latest published version and files (NotFound otherwise)."""
    asset = await get_asset(session, slug)
    if not await session.scalar(select(has_published_version()).where(Asset.id == asset.id)):
        raise NotFound(f"No asset '{slug}' in the catalogue.")
    return (await _linked(session, [asset]))[0]


async def schema_org_of(
    session: AsyncSession, slug: str, *, base_url: str, factory_name: str
) -> dict[str, Any]:
    """The schema.org Dataset of a published dataset (NotFound for a model or a draft)."""
    item = await public_asset(session, slug)
    if item.asset.kind != "dataset":
        raise NotFound(f"'{slug}' is a model: schema.org exports describe datasets.")
    return schema_org(
        item.asset,
        publisher=item.publisher,
        base_url=base_url,
        catalog_name=f"{factory_name} catalogue",
        version=item.version,
        files=item.files,
    )


async def public_assets_page(
    session: AsyncSession, *, page: int, per_page: int
) -> tuple[list[LinkedAsset], int]:
    """One page of the published assets (by id, a stable order for crawlers) and the total."""
    public = has_published_version()
    total = int(await session.scalar(select(func.count(Asset.id)).where(public)) or 0)
    rows = await session.scalars(
        select(Asset).where(public).order_by(Asset.id).limit(per_page).offset((page - 1) * per_page)
    )
    return await _linked(session, list(rows)), total


async def catalog_dates(session: AsyncSession) -> tuple[Any, Any]:
    """When the first published asset was created, and when one last changed."""
    row = (
        await session.execute(
            select(func.min(Asset.created_at), func.max(Asset.updated_at)).where(
                has_published_version()
            )
        )
    ).one()
    return row[0], row[1]


def _page_url(catalog_url: str, page: int, per_page: int) -> str:
    size = "" if per_page == PAGE_SIZE else f"&per_page={per_page}"
    return f"{catalog_url}?page={page}{size}"


def catalog_document(
    items: list[LinkedAsset],
    *,
    total: int,
    page: int,
    per_page: int,
    base_url: str,
    factory_name: str,
    dates: tuple[Any, Any],
    extension: str = "jsonld",
) -> dict[str, Any]:
    """One page of the dcat:Catalog, with the hydra:PartialCollectionView links to the others
    (pages of the same format: dcat.jsonld or dcat.ttl)."""
    base = base_url.rstrip("/")
    catalog_url = f"{base}/api/v1/catalog/dcat.{extension}"
    last = max(1, -(-total // per_page))
    view: dict[str, Any] = {
        "@id": _page_url(catalog_url, page, per_page),
        "@type": "hydra:PartialCollectionView",
        "hydra:first": {"@id": _page_url(catalog_url, 1, per_page)},
        "hydra:last": {"@id": _page_url(catalog_url, last, per_page)},
    }
    if page < last:
        view["hydra:next"] = {"@id": _page_url(catalog_url, page + 1, per_page)}
    if page > 1:
        view["hydra:previous"] = {"@id": _page_url(catalog_url, min(page - 1, last), per_page)}
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        # One IRI for the catalogue whatever the format its pages are read in.
        "@id": f"{base}/catalog#catalog",
        "@type": ["dcat:Catalog", "hydra:Collection"],
        "dct:title": {"@value": f"{factory_name} catalogue", "@language": "en"},
        "dct:description": {
            "@value": f"Datasets and AI models published on {factory_name}, with their files "
            "and access terms.",
            "@language": "en",
        },
        "dct:publisher": {"@id": base, "@type": "foaf:Agent", "foaf:name": factory_name},
        "foaf:homepage": {"@id": f"{base}/catalog", "@type": "foaf:Document"},
        "dcat:themeTaxonomy": {
            "@id": f"{AUTHORITY}/data-theme",
            "@type": "skos:ConceptScheme",
            "dct:title": {"@value": "Data theme", "@language": "en"},
        },
        "hydra:totalItems": total,
        "hydra:view": view,
        "dcat:dataset": [
            dataset_node(
                i.asset, publisher=i.publisher, base_url=base_url, version=i.version, files=i.files
            )
            for i in items
        ],
    }
    first, modified = dates
    if first is not None:
        doc["dct:issued"] = {"@value": first.isoformat(), "@type": "xsd:dateTime"}
        doc["dct:modified"] = {"@value": modified.isoformat(), "@type": "xsd:dateTime"}
    return doc
