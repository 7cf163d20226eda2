"""DCAT-AP 3 descriptions of datasets and models (JSON-LD).

Every export is checked in the tests against the DCAT-AP 3.0.0 SHACL shapes (mandatory,
recommended and range shapes). A model is described as a dcat:Dataset that is also an
mls:Model (W3C ML Schema): DCAT-AP has no class of its own for models, and a harvester that
knows only DCAT-AP still sees a dataset with its distributions (the model's files).
Objects are typed inline (dct:LicenseDocument, dct:LinguisticSystem, skos:Concept with a
label...) because the range shapes check the class of every object.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from rdflib import Graph

from aifhub.catalog.authorities import country_uri, language_uri
from aifhub.catalog.linked_odrl import odrl_policy
from aifhub.catalog.models import Asset, AssetFile, AssetVersion
from aifhub.schemas.licenses import license_url, licenses

AUTHORITY = "http://publications.europa.eu/resource/authority"
CONTEXT: dict[str, Any] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatap": "http://data.europa.eu/r5r/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "mls": "http://www.w3.org/ns/mls#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
ACCESS_RIGHTS = {"open": "PUBLIC", "gated": "RESTRICTED", "restricted": "NON_PUBLIC"}
# Organisation kinds -> ADMS publisher types.
PUBLISHER_TYPES = {
    "startup": ("Company", "Company"),
    "sme": ("Company", "Company"),
    "large_company": ("Company", "Company"),
    "academic": ("Academia-ScientificOrganisation", "Academia/Scientific organisation"),
    "public_body": ("PublicAuthority", "Public authority"),
}
# Catalogue sectors -> EU data themes (no theme for "other").
THEMES = {
    "health": ("HEAL", "Health"),
    "aeronautics": ("TRAN", "Transport"),
    "energy": ("ENER", "Energy"),
    "materials": ("TECH", "Science and technology"),
    "robotics": ("TECH", "Science and technology"),
    "agronomy": ("AGRI", "Agriculture, fisheries, forestry and food"),
    "defence_security": ("JUST", "Justice, legal system and public safety"),
    "education": ("EDUC", "Education, culture and sport"),
    "mobility": ("TRAN", "Transport"),
    "finance": ("ECON", "Economy and finance"),
    "humanities": ("EDUC", "Education, culture and sport"),
}
# File extensions -> EU file types; anything else is OCTET (a stream of bytes).
FILE_TYPES = {
    "csv": "CSV", "tsv": "TSV", "json": "JSON", "jsonl": "JSON", "txt": "TXT", "md": "TXT",
    "xml": "XML", "pdf": "PDF", "zip": "ZIP", "tar": "TAR", "gz": "GZIP", "parquet": "PARQUET",
    "html": "HTML", "yaml": "YAML", "yml": "YAML", "png": "PNG", "jpg": "JPEG", "jpeg": "JPEG",
    "tif": "TIFF", "tiff": "TIFF", "wav": "WAV", "mp3": "MP3", "nc": "NETCDF", "h5": "HDF",
    "hdf5": "HDF", "7z": "7Z", "xz": "XZ", "bz2": "BZIP2", "ttl": "RDF_TURTLE",
}  # fmt: skip


@dataclass(frozen=True)
class Publisher:
    """The organisation that publishes an asset, as linked data needs it."""

    slug: str
    name: str
    kind: str
    website: str | None = None


def asset_url(base_url: str, asset: Asset) -> str:
    """The public page of an asset (its IRI in the exports)."""
    return f"{base_url.rstrip('/')}/catalog/{asset.slug}"


def file_url(base_url: str, asset: Asset, version: AssetVersion, f: AssetFile) -> str:
    """Where a file of a version is downloaded from."""
    return (
        f"{base_url.rstrip('/')}/api/v1/catalog/{asset.slug}/versions/{version.label}"
        f"/files/{quote(f.path)}"
    )


def concept(iri: str, label: str) -> dict[str, Any]:
    """A SKOS concept of a controlled vocabulary, with the label the shapes ask for."""
    label_node = {"@value": label, "@language": "en"}
    return {"@id": iri, "@type": "skos:Concept", "skos:prefLabel": label_node}


def _datetime(value: Any) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:dateTime"}


def publisher_node(base_url: str, publisher: Publisher) -> dict[str, Any]:
    """A foaf:Agent with its name and ADMS publisher type."""
    node: dict[str, Any] = {
        "@id": f"{base_url.rstrip('/')}/organisations/{publisher.slug}",
        "@type": "foaf:Agent",
        "foaf:name": publisher.name,
    }
    if publisher.kind in PUBLISHER_TYPES:
        code, label = PUBLISHER_TYPES[publisher.kind]
        node["dct:type"] = concept(f"http://purl.org/adms/publishertype/{code}", label)
    if publisher.website:
        node["foaf:homepage"] = {"@id": publisher.website}
    return node


def license_node(asset: Asset) -> dict[str, Any]:
    """The asset's licence as a dct:LicenseDocument: its URL, or a blank node with its name
    when the licence has none (e.g. a RAIL licence without an SPDX id)."""
    entry = licenses().get(asset.license)
    name = (entry or {}).get("name") or asset.license_name or asset.license
    node: dict[str, Any] = {"@type": "dct:LicenseDocument", "dct:title": name}
    if url := license_url(asset.license, asset.license_link):
        node["@id"] = url
    return node


def _contact(base_url: str, asset: Asset, publisher: Publisher) -> dict[str, Any]:
    # Without an e-mail of its own, the asset's page is where its publisher is reached.
    node: dict[str, Any] = {
        "@type": ["vcard:Kind", "vcard:Organization"],
        "vcard:fn": publisher.name,
    }
    if asset.contact:
        node["vcard:hasEmail"] = {"@id": f"mailto:{asset.contact}"}
    node["vcard:hasURL"] = {"@id": asset_url(base_url, asset)}
    return node


def _distribution(
    asset: Asset,
    version: AssetVersion,
    f: AssetFile,
    *,
    base_url: str,
    lic: dict[str, Any],
    policy_id: str | None,
) -> dict[str, Any]:
    ext = f.path.rsplit(".", 1)[-1].lower() if "." in f.path else ""
    ftype = FILE_TYPES.get(ext, "OCTET")
    dist: dict[str, Any] = {
        "@id": f"{asset_url(base_url, asset)}#{version.label}/{quote(f.path)}",
        "@type": "dcat:Distribution",
        "dct:title": f.path,
        "dct:description": f"File {f.path} of version {version.label} of {asset.name}.",
        "dcat:accessURL": {"@id": asset_url(base_url, asset)},
        "dcat:downloadURL": {"@id": file_url(base_url, asset, version, f)},
        "dct:format": {"@id": f"{AUTHORITY}/file-type/{ftype}", "@type": "dct:MediaTypeOrExtent"},
        "dcatap:availability": concept(f"{AUTHORITY}/planned-availability/STABLE", "stable"),
        "dcat:byteSize": {"@value": str(f.size), "@type": "xsd:decimal"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": {"@value": f.sha256, "@type": "xsd:hexBinary"},
        },
    }
    media, _ = mimetypes.guess_type(f.path)
    if media:
        dist["dcat:mediaType"] = {
            "@id": f"https://www.iana.org/assignments/media-types/{media}",
            "@type": "dct:MediaType",
        }
    if version.published_at is not None:
        dist["dct:issued"] = _datetime(version.published_at)
    dist["dct:license"] = lic
    if policy_id:
        dist["odrl:hasPolicy"] = {"@id": policy_id}
    return dist


def dataset_node(
    asset: Asset,
    *,
    publisher: Publisher,
    base_url: str,
    version: AssetVersion | None,
    files: list[AssetFile],
) -> dict[str, Any]:
    """The dcat:Dataset node of an asset (no @context): one distribution per file of the
    latest published version."""
    url = asset_url(base_url, asset)
    iri = f"{url}#dataset"
    keywords = list(dict.fromkeys([*asset.tags, *(x for x in (asset.task, asset.modality) if x)]))
    rights = ACCESS_RIGHTS[asset.access_policy]
    doc: dict[str, Any] = {
        "@id": iri,
        "@type": ["dcat:Dataset", "mls:Model"] if asset.kind == "model" else "dcat:Dataset",
        "dct:identifier": asset.slug,
        # What owners wrote is in a language the platform does not know: plain literals.
        "dct:title": asset.name,
        "dct:description": asset.summary or asset.name,
        "dcat:keyword": keywords,
        "dcat:landingPage": {"@id": url, "@type": "foaf:Document"},
        "dct:publisher": publisher_node(base_url, publisher),
        "dcat:contactPoint": _contact(base_url, asset, publisher),
        "dct:issued": _datetime(asset.created_at),
        "dct:modified": _datetime(asset.updated_at),
        "dct:accessRights": {
            "@id": f"{AUTHORITY}/access-right/{rights}",
            "@type": "dct:RightsStatement",
        },
    }
    languages = [u for u in dict.fromkeys(map(language_uri, asset.languages)) if u]
    if languages:
        doc["dct:language"] = [{"@id": u, "@type": "dct:LinguisticSystem"} for u in languages]
    themes = dict.fromkeys(THEMES[s] for s in asset.sectors if s in THEMES)
    if themes:
        doc["dcat:theme"] = [concept(f"{AUTHORITY}/data-theme/{c}", n) for c, n in themes]
    lic = license_node(asset)
    doc["dct:license"] = lic
    if asset.origin_country:
        doc["dct:spatial"] = {
            "@id": country_uri(asset.origin_country),
            "@type": "dct:Location",
        }
    policy_id = None
    if asset.access_policy == "restricted" and asset.policy_rules:
        policy_id = f"{url}#policy"
        doc["odrl:hasPolicy"] = odrl_policy(
            asset.policy_rules,
            uid=policy_id,
            assigner=publisher_node(base_url, publisher)["@id"],
            target=iri,
            base_url=base_url,
        )
    if version is not None:
        doc["dcat:version"] = version.label
        doc["dcat:distribution"] = [
            _distribution(asset, version, f, base_url=base_url, lic=lic, policy_id=policy_id)
            for f in files
        ]
    return doc


def dcat(
    asset: Asset,
    *,
    publisher: Publisher,
    base_url: str,
    version: AssetVersion | None,
    files: list[AssetFile],
) -> dict[str, Any]:
    """A DCAT-AP 3 JSON-LD document of one dataset or model."""
    node = dataset_node(asset, publisher=publisher, base_url=base_url, version=version, files=files)
    return {"@context": CONTEXT, **node}


def to_turtle(doc: dict[str, Any]) -> str:
    """The same description in Turtle (the JSON-LD parsed as RDF, its context inline)."""
    graph = Graph()
    for prefix, namespace in CONTEXT.items():
        graph.bind(prefix, namespace)
    graph.parse(data=json.dumps(doc), format="json-ld")
    return graph.serialize(format="turtle")
