"""DCAT-AP 3 exports checked against the official SHACL shapes, the paged dcat:Catalog a
harvester crawls, and the schema.org JSON-LD embedded in dataset pages.

The shapes (tests/catalog/shapes/dcat-ap-3.0.0/, kept unchanged from SEMICeu/DCAT-AP) are
parsed once per session: the mandatory shapes, the recommended-property shapes (warnings)
and the class-range shapes.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyshacl import validate
from rdflib import RDF, XSD, Graph, Literal, Namespace
from rdflib.compare import isomorphic

from aifhub.catalog.authorities import BIBLIOGRAPHIC, ISO_639_1, country_uri, language_uri
from aifhub.demo import load_demo

from ..factories import api_user, make_org
from .helpers import owner_with_asset, publish

SHAPES = Path(__file__).parent / "shapes" / "dcat-ap-3.0.0"
SH = Namespace("http://www.w3.org/ns/shacl#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")

# Recommended properties the platform has no data for, so a warning about them is expected:
# the period a dataset covers (dct:temporal), a theme when the asset names no sector, a
# bounding box or centroid of a country (dct:Location), the type of a licence, and the
# catalogue-wide language, licence, spatial coverage and publisher type (the site file
# declares none of them).
EXPECTED_GAPS = {
    (DCAT.Dataset, DCT.temporal),
    (DCAT.Dataset, DCAT.theme),
    (DCAT.Dataset, DCT.spatial),
    (DCT.Location, DCAT.bbox),
    (DCT.Location, DCAT.centroid),
    (DCT.LicenseDocument, DCT.type),
    (DCAT.Catalog, DCT.language),
    (DCAT.Catalog, DCT.license),
    (DCAT.Catalog, DCT.spatial),
    (Namespace("http://xmlns.com/foaf/0.1/").Agent, DCT.type),
}


@pytest.fixture(scope="session")
def shapes() -> Graph:
    g = Graph()
    for name in ("shapes.ttl", "shapes_recommended.ttl", "range.ttl"):
        g.parse(SHAPES / name, format="turtle")
    return g


def _decimals_by_value(g: Graph) -> Graph:
    """The graph with xsd:decimal literals in one spelling (Turtle writes 3 as 3.0)."""
    out = Graph()
    for s, p, o in g:
        if isinstance(o, Literal) and o.datatype == XSD.decimal:
            o = Literal(str(Decimal(str(o)).normalize()), datatype=XSD.decimal)
        out.add((s, p, o))
    return out


def _graph(doc: dict[str, Any]) -> Graph:
    return Graph().parse(data=json.dumps(doc), format="json-ld")


def check(doc: dict[str, Any], shapes: Graph) -> tuple[list[str], set[tuple[Any, Any]]]:
    """The violations (as readable lines) and the (target class, path) of each warning."""
    return check_graph(_graph(doc), shapes)


def check_graph(data: Graph, shapes: Graph) -> tuple[list[str], set[tuple[Any, Any]]]:
    """check() for a parsed graph."""
    _, report, _ = validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    violations: list[str] = []
    warnings: set[tuple[Any, Any]] = set()
    for result in report.subjects(SH.resultSeverity, None):
        severity = report.value(result, SH.resultSeverity)
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        if severity == SH.Violation:
            message = report.value(result, SH.resultMessage)
            violations.append(f"{focus} {path}: {message}")
        else:
            node_shape = shapes.value(None, SH.property, report.value(result, SH.sourceShape))
            warnings.add((shapes.value(node_shape, SH.targetClass), path))
    return violations, warnings


async def _demo_exports(client: Any) -> tuple[list[str], dict[str, dict[str, Any]]]:
    listed = (await client.get("/api/v1/catalog", params={"limit": 100})).json()
    slugs = [i["slug"] for i in listed["items"]]
    exports = {}
    for slug in slugs:
        r = await client.get(f"/api/v1/catalog/{slug}/dcat.jsonld")
        assert r.status_code == 200, (slug, r.text)
        exports[slug] = r.json()
    return slugs, exports


async def test_every_demo_export_conforms(client, db, settings, shapes):
    assert await load_demo(settings)
    slugs, exports = await _demo_exports(client)
    kinds = {d["dct:identifier"]: d["@type"] for d in exports.values()}
    assert ["dcat:Dataset", "mls:Model"] in kinds.values() and "dcat:Dataset" in kinds.values()
    problems = {}
    for slug, doc in exports.items():
        violations, warnings = check(doc, shapes)
        if violations or not warnings <= EXPECTED_GAPS:
            problems[slug] = (violations, warnings - EXPECTED_GAPS)
        # The Turtle variant says the same, triple for triple.
        turtle = await client.get(f"/api/v1/catalog/{slug}/dcat.ttl")
        assert turtle.headers["content-type"].startswith("text/turtle")
        from_turtle = Graph().parse(data=turtle.text, format="turtle")
        assert isomorphic(_decimals_by_value(from_turtle), _decimals_by_value(_graph(doc))), slug
    assert problems == {}, json.dumps(
        {k: (v, sorted(map(str, w))) for k, (v, w) in problems.items()}, indent=1
    )


async def test_catalog_pages_conform_and_reach_every_public_asset(client, db, settings, shapes):
    assert await load_demo(settings)
    # A draft-only asset stays out of the catalogue.
    h = await api_user(db, "owner@hidden.example")
    await make_org(client, h, "hidden")
    draft = {"kind": "dataset", "organisation": "hidden", "slug": "hidden/draft-only",
             "name": "Draft only", "license": "mit", "summary": "Never published"}  # fmt: skip
    assert (await client.post("/api/v1/catalog", json=draft, headers=h)).status_code == 201
    listed = (await client.get("/api/v1/catalog", params={"limit": 100})).json()
    public = {i["slug"] for i in listed["items"]}
    seen: list[str] = []
    url: str | None = "/api/v1/catalog/dcat.jsonld?per_page=3"
    pages = 0
    while url:
        r = await client.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
        page = r.json()
        pages += 1
        violations, warnings = check(page, shapes)
        assert violations == [] and warnings <= EXPECTED_GAPS, (violations, warnings)
        assert page["hydra:totalItems"] == len(public)
        assert page["hydra:view"]["@type"] == "hydra:PartialCollectionView"
        seen += [d["dct:identifier"] for d in page["dcat:dataset"]]
        nxt = page["hydra:view"].get("hydra:next")
        url = nxt["@id"].removeprefix(settings.base_url.rstrip("/")) if nxt else None
    assert pages == -(-len(public) // 3) and len(seen) == len(set(seen))
    # The Turtle pages link to Turtle pages and reach the same assets.
    turtle_seen: set[str] = set()
    url = "/api/v1/catalog/dcat.ttl?per_page=4"
    while url:
        g = Graph().parse(data=(await client.get(url)).text, format="turtle")
        assert check_graph(g, shapes)[0] == []
        turtle_seen |= {str(x) for x in g.objects(None, DCT.identifier)}
        hydra = Namespace("http://www.w3.org/ns/hydra/core#")
        nxt = next(g.objects(None, hydra.next), None)
        url = str(nxt).removeprefix(settings.base_url.rstrip("/")) if nxt else None
        assert url is None or "/dcat.ttl?" in url
    assert turtle_seen == public
    assert set(seen) == public and "hidden/draft-only" not in seen
    # Nothing from the access workflow: no gate questions, no requests or grants.
    r = await client.get("/api/v1/catalog/dcat.jsonld", params={"per_page": 100})
    everything = r.text
    assert "ethics committee" not in everything and "Intended use" not in everything
    # Every key is a vocabulary term: no database field (gate_questions, downloads...) leaks.
    assert {k for k in _keys(r.json()) if ":" not in k and not k.startswith("@")} == set()
    # The restricted asset's usage policy is published, in ODRL terms (not lost in the RDF).
    g = _graph(r.json())
    odrl = Namespace("http://www.w3.org/ns/odrl/2/")
    policies = list(g.subjects(odrl.permission, None))
    assert len(policies) == 1
    permission = g.value(policies[0], odrl.permission)
    assert g.value(permission, odrl.action) == odrl.use
    target = g.value(permission, odrl.target)
    assert (target, RDF.type, DCAT.Dataset) in g and (target, odrl.hasPolicy, policies[0]) in g
    assert len(list(g.objects(permission, odrl.constraint))) == 2
    assert g.value(g.value(policies[0], odrl.prohibition), odrl.action) is not None


def _keys(node: Any) -> set[str]:
    """Every key of a JSON-LD document, outside its @context."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "@context":
                found |= {key} | _keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= _keys(value)
    return found


async def test_catalog_page_past_the_end_is_empty_and_links_back(client, db, settings, shapes):
    assert await load_demo(settings)
    page = (await client.get("/api/v1/catalog/dcat.jsonld", params={"page": 99})).json()
    assert page["dcat:dataset"] == [] and "hydra:next" not in page["hydra:view"]
    assert page["hydra:view"]["hydra:previous"]["@id"].endswith("page=1")
    assert (await client.get("/api/v1/catalog/dcat.jsonld", params={"page": 0})).status_code == 422


async def test_a_broken_export_does_not_conform(client, db, shapes):
    h = await owner_with_asset(client, db, languages=["fr", "fr-ca", "gsw", "ger", "xx"])
    await publish(client, h, "neuro/mri-small", "v1", {"scans/a.nii": b"abc", "b c.csv": b"x"})
    doc = (await client.get("/api/v1/catalog/neuro/mri-small/dcat.jsonld")).json()
    assert check(doc, shapes)[0] == []
    # A path with a space is quoted in the IRIs, and the download URL serves the file.
    spaced = doc["dcat:distribution"][0]
    assert spaced["dcat:downloadURL"]["@id"].endswith("/files/b%20c.csv")
    got = await client.get(spaced["dcat:downloadURL"]["@id"], headers=h)
    assert got.status_code == 200 and got.content == b"x"
    # Only valid ISO 639 codes become authority URIs (fr and fr-CA are one language).
    assert [x["@id"].rsplit("/", 1)[1] for x in doc["dct:language"]] == ["FRA", "GSW", "DEU"]
    dist = doc["dcat:distribution"][1]
    assert dist["spdx:checksum"]["spdx:checksumValue"]["@type"] == "xsd:hexBinary"
    broken = copy.deepcopy(doc)
    broken["dcat:distribution"][1]["spdx:checksum"]["spdx:checksumValue"] = dist["spdx:checksum"][
        "spdx:checksumValue"
    ]["@value"]
    violations, _ = check(broken, shapes)
    assert any("checksumValue" in v for v in violations), violations
    untyped = copy.deepcopy(doc)
    untyped["dct:publisher"] = "neuro"
    assert check(untyped, shapes)[0] != []


def test_language_and_country_authorities():
    assert len(ISO_639_1) == 183 and len(set(ISO_639_1.values())) == 183
    assert language_uri("fr") == "http://publications.europa.eu/resource/authority/language/FRA"
    assert language_uri("zh-hant") == language_uri("chi") == language_uri("zho")
    assert language_uri("x") is None and language_uri("xx") is None
    assert all(code not in ISO_639_1.values() for code in BIBLIOGRAPHIC)
    assert country_uri("fr").endswith("/country/FRA") and country_uri("DE").endswith("/DEU")
    # Cross-check with CLDR's aliases (what babel ships): each ISO 639-2/T code is an alias
    # of its two-letter code wherever CLDR knows it.
    from babel.core import get_global

    aliases = get_global("language_aliases")
    wrong = {two: three for two, three in ISO_639_1.items() if aliases.get(three, two) != two}
    # CLDR folds Tagalog into Filipino and Twi into Akan; ISO 639 keeps them apart.
    assert wrong == {"tl": "tgl", "tw": "twi"}
    assert (aliases["tgl"], aliases["twi"]) == ("fil", "ak")


def _json_ld_scripts(page: str) -> list[dict[str, Any]]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return [json.loads(x) for x in found]


async def test_dataset_page_embeds_schema_org_for_search_engines(client, db):
    h = await owner_with_asset(client, db, summary="Small </script><b>", tags=["mri"])
    assert _json_ld_scripts((await client.get("/catalog/neuro/mri-small", headers=h)).text) == []
    await publish(client, h, "neuro/mri-small", "v1", {"scans/a.csv": b"a,b\n1,2\n"})
    page = await client.get("/catalog/neuro/mri-small")
    assert page.status_code == 200
    assert '<link rel="alternate" type="application/ld+json"' in page.text
    [doc] = _json_ld_scripts(page.text)
    assert doc["@type"] == "Dataset" and doc["name"] == "MRI small"
    assert doc["description"].startswith("Small </script><b>") and len(doc["description"]) >= 50
    assert doc["creator"]["name"] and doc["license"].startswith("https://spdx.org/licenses/")
    assert doc["identifier"] == "neuro/mri-small" and "mri" in doc["keywords"]
    assert doc["includedInDataCatalog"]["@type"] == "DataCatalog" and doc["dateModified"]
    [dist] = doc["distribution"]
    assert dist["encodingFormat"] == "text/csv" and dist["contentUrl"].endswith("/scans/a.csv")
    # A model's page links its DCAT-AP export but carries no schema.org Dataset.
    body = {"kind": "model", "organisation": "neuro", "slug": "neuro/tiny-model",
            "name": "Tiny model", "license": "mit", "summary": "A small model"}  # fmt: skip
    assert (await client.post("/api/v1/catalog", json=body, headers=h)).status_code == 201
    await publish(client, h, "neuro/tiny-model", "v1", {"model.safetensors": b"\x00" * 8})
    model_page = (await client.get("/catalog/neuro/tiny-model")).text
    assert 'href="/api/v1/catalog/neuro/tiny-model/dcat.jsonld"' in model_page
    assert _json_ld_scripts(model_page) == []
    assert (await client.get("/api/v1/catalog/neuro/tiny-model/schema.jsonld")).status_code == 404
    catalogue = await client.get("/catalog")
    assert 'rel="alternate" type="application/ld+json" href="/api/v1/catalog/dcat.jsonld"' in (
        catalogue.text
    )
