"""DCAT-AP and schema.org JSON-LD descriptions of a dataset."""

from __future__ import annotations

from typing import Any

from aifhub.catalog.models import Asset, AssetFile, AssetVersion
from aifhub.schemas.licenses import license_url

# ISO 639-1 to the EU Publications Office language authority (ISO 639-3 based).
EU_LANGUAGES = {
    "bg": "BUL", "ca": "CAT", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG",
    "es": "SPA", "et": "EST", "eu": "EUS", "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV",
    "hu": "HUN", "it": "ITA", "lt": "LIT", "lv": "LAV", "mt": "MLT", "nl": "NLD", "pl": "POL",
    "pt": "POR", "ro": "RON", "sk": "SLK", "sl": "SLV", "sv": "SWE", "br": "BRE", "oc": "OCI",
    "ar": "ARA", "zh": "ZHO", "ja": "JPN", "ru": "RUS",
}  # fmt: skip
ACCESS_RIGHTS = {"open": "PUBLIC", "gated": "RESTRICTED", "restricted": "NON_PUBLIC"}
AUTHORITY = "http://publications.europa.eu/resource/authority"


def _url(base_url: str, asset: Asset) -> str:
    return f"{base_url.rstrip('/')}/catalog/{asset.slug}"


def _file_url(base_url: str, asset: Asset, version: AssetVersion, f: AssetFile) -> str:
    return (
        f"{base_url.rstrip('/')}/api/v1/catalog/{asset.slug}/versions/{version.label}"
        f"/files/{f.path}"
    )


def dcat(
    asset: Asset,
    *,
    publisher: str,
    base_url: str,
    version: AssetVersion | None,
    files: list[AssetFile],
) -> dict[str, Any]:
    """A DCAT-AP 3 dcat:Dataset with one distribution per file of the latest version."""
    url = _url(base_url, asset)
    doc: dict[str, Any] = {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "spdx": "http://spdx.org/rdf/terms#",
            "odrl": "http://www.w3.org/ns/odrl/2/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": url,
        "@type": "dcat:Dataset",
        "dct:identifier": asset.slug,
        "dct:title": asset.name,
        "dct:description": asset.summary or asset.name,
        "dcat:keyword": list(asset.tags),
        "dcat:landingPage": {"@id": url},
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": publisher},
        "dct:issued": {"@value": asset.created_at.isoformat(), "@type": "xsd:dateTime"},
        "dct:modified": {"@value": asset.updated_at.isoformat(), "@type": "xsd:dateTime"},
        "dct:language": [
            {"@id": f"{AUTHORITY}/language/{EU_LANGUAGES[lang]}"} if lang in EU_LANGUAGES else lang
            for lang in asset.languages
        ],
        "dct:accessRights": {
            "@id": f"{AUTHORITY}/access-right/{ACCESS_RIGHTS[asset.access_policy]}"
        },
    }
    if lic := license_url(asset.license, asset.license_link):
        doc["dct:license"] = {"@id": lic}
    if asset.origin_country:
        doc["dct:spatial"] = {"@id": f"{AUTHORITY}/country/{asset.origin_country}"}
    if asset.contact:
        doc["dcat:contactPoint"] = {"@type": "vcard:Kind", "vcard:hasEmail": asset.contact}
    if asset.access_policy == "restricted" and asset.policy_rules:
        doc["odrl:hasPolicy"] = {"@type": "odrl:Offer", **asset.policy_rules}
    if version is not None:
        doc["dcat:version"] = version.label
        doc["dcat:distribution"] = [
            {
                "@type": "dcat:Distribution",
                "dct:title": f.path,
                "dcat:accessURL": {"@id": url},
                "dcat:downloadURL": {"@id": _file_url(base_url, asset, version, f)},
                "dcat:byteSize": {"@value": str(f.size), "@type": "xsd:nonNegativeInteger"},
                "spdx:checksum": {
                    "@type": "spdx:Checksum",
                    "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                    "spdx:checksumValue": f.sha256,
                },
            }
            for f in files
        ]
    return doc


def schema_org(
    asset: Asset,
    *,
    publisher: str,
    base_url: str,
    version: AssetVersion | None,
    files: list[AssetFile],
) -> dict[str, Any]:
    """A schema.org Dataset (what dataset search engines read)."""
    url = _url(base_url, asset)
    doc: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": url,
        "url": url,
        "identifier": asset.slug,
        "name": asset.name,
        "description": asset.summary or asset.name,
        "keywords": list(asset.tags),
        "inLanguage": list(asset.languages),
        "publisher": {"@type": "Organization", "name": publisher},
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
                "contentUrl": _file_url(base_url, asset, version, f),
                "contentSize": str(f.size),
                "sha256": f.sha256,
            }
            for f in files
        ]
    return doc
