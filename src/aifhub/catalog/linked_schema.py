"""schema.org JSON-LD of a dataset: what dataset search engines (Google Dataset Search) read.

It carries Google's required and recommended fields: name, description (at least 50
characters: a shorter summary is followed by a sentence generated from the card's facts),
creator, license (a URL), distribution (encodingFormat, contentUrl), includedInDataCatalog,
identifier, keywords, dateModified.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from aifhub.catalog.linked_data import Publisher, asset_url, file_url
from aifhub.catalog.models import Asset, AssetFile, AssetVersion
from aifhub.schemas.licenses import license_url, licenses

MIN_DESCRIPTION = 50


def description_of(asset: Asset, publisher: Publisher) -> str:
    """The summary, followed by a sentence made of the card's facts when it is too short."""
    text = (asset.summary or "").strip()
    if len(text) >= MIN_DESCRIPTION:
        return text
    what = " ".join(x for x in (asset.modality, asset.kind) if x)
    sentence = f"{asset.name} is a {what} published by {publisher.name}"
    if asset.task:
        sentence += f" for {asset.task.replace('-', ' ')}"
    entry = licenses().get(asset.license)
    lic = (entry or {}).get("name") or asset.license_name
    if lic:
        sentence += f", under the {lic}"
    sentence += "."
    return f"{text} {sentence}".strip() if text else sentence


def schema_org(
    asset: Asset,
    *,
    publisher: Publisher,
    base_url: str,
    catalog_name: str,
    version: AssetVersion | None,
    files: list[AssetFile],
) -> dict[str, Any]:
    """A schema.org Dataset."""
    url = asset_url(base_url, asset)
    org: dict[str, Any] = {"@type": "Organization", "name": publisher.name}
    if publisher.website:
        org["url"] = publisher.website
    doc: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": url,
        "url": url,
        "identifier": asset.slug,
        "name": asset.name,
        "description": description_of(asset, publisher),
        "keywords": list(
            dict.fromkeys([*asset.tags, *(x for x in (asset.task, asset.modality) if x)])
        ),
        "inLanguage": list(asset.languages),
        "creator": org,
        "publisher": org,
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": catalog_name,
            "url": f"{base_url.rstrip('/')}/catalog",
        },
        "dateCreated": asset.created_at.isoformat(),
        "dateModified": asset.updated_at.isoformat(),
        "isAccessibleForFree": True,
    }
    if lic := license_url(asset.license, asset.license_link):
        doc["license"] = lic
    if asset.access_policy != "open":
        doc["conditionsOfAccess"] = (
            "Access on request: the owner approves each project's request."
            if asset.access_policy == "gated"
            else "Access under the usage policy published with the dataset (ODRL)."
        )
    if asset.citation:
        doc["citation"] = asset.citation
    if version is not None:
        doc["version"] = version.label
        doc["distribution"] = [
            {
                "@type": "DataDownload",
                "name": f.path,
                "contentUrl": file_url(base_url, asset, version, f),
                "encodingFormat": mimetypes.guess_type(f.path)[0] or "application/octet-stream",
                "contentSize": str(f.size),
                "sha256": f.sha256,
            }
            for f in files
        ]
    return doc
