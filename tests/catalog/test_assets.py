"""Assets, Hugging Face cards, DCAT-AP and schema.org exports, and bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aifhub.catalog.models import Asset

from ..factories import api_user, make_org
from .helpers import owner_with_asset, publish

MODEL_CARD = """---
language:
- fr
- en
license: apache-2.0
library_name: transformers
pipeline_tag: text-generation
base_model: mistralai/Mistral-7B-v0.1
datasets:
- wikimedia/wikipedia
tags:
- french
- llm
---

# Petit modèle

A French instruction-tuned model.
"""


async def test_create_read_update_asset(client, db):
    h = await owner_with_asset(client, db, origin_country="FR", hosted_country="FR",
                               languages=["fr"], tags=["medical"])  # fmt: skip
    # Unpublished: only its organisation sees it.
    r = await client.get("/api/v1/catalog/neuro/mri-small", headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["organisation"] == "neuro" and body["sovereignty"] == "eu"
    assert body["license"] == "cc-by-4.0"
    r = await client.patch(
        "/api/v1/catalog/neuro/mri-small", json={"license": "CC-BY-SA-4.0"}, headers=h
    )
    assert r.status_code == 200 and r.json()["license"] == "cc-by-sa-4.0"


@pytest.mark.parametrize(
    "fields, needle",
    [
        ({"license": "made-up-1.0"}, "unknown licence"),
        ({"license": "other"}, "license_name and license_link"),
        ({"size_category": "huge"}, "size category"),
        ({"access_policy": "restricted"}, "policy_rules"),
        ({"policy_rules": {"permission": [{"action": "fly"}]}}, "action must be one of"),
        ({"slug": "no-namespace"}, "slug"),
        ({"languages": ["french!"]}, "languages"),
    ],
)
async def test_bad_asset_fields_are_422_and_change_nothing(client, db, fields, needle):
    h = await api_user(db, "o@x.example")
    await make_org(client, h, "xorg")
    body = {"kind": "dataset", "organisation": "xorg", "slug": "xorg/d", "name": "D",
            "license": "mit", **fields}  # fmt: skip
    r = await client.post("/api/v1/catalog", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(Asset)) == 0


async def test_only_org_managers_create_and_edit(client, db):
    await owner_with_asset(client, db)
    stranger = await api_user(db, "s@else.example")
    r = await client.patch("/api/v1/catalog/neuro/mri-small", json={"name": "x"}, headers=stranger)
    assert r.status_code == 403
    body = {"kind": "model", "organisation": "neuro", "slug": "neuro/m", "name": "M",
            "license": "mit"}  # fmt: skip
    assert (await client.post("/api/v1/catalog", json=body, headers=stranger)).status_code == 404
    r = await client.post("/api/v1/catalog", json={**body, "slug": "neuro/mri-small"},
                          headers=await api_user(db, "a@x.example", staff=("admin",)))  # fmt: skip
    assert r.status_code == 409


async def test_import_and_export_hugging_face_card(client, db):
    h = await api_user(db, "o@lab.example")
    await make_org(client, h, "lab")
    r = await client.post(
        "/api/v1/catalog/import",
        params={"organisation": "lab", "slug": "lab/petit", "kind": "model"},
        content=MODEL_CARD.encode(),
        headers=h,
    )
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["languages"] == ["fr", "en"] and a["license"] == "apache-2.0"
    assert a["task"] == "text-generation" and a["base_model"] == "mistralai/Mistral-7B-v0.1"
    assert a["training_datasets"] == ["wikimedia/wikipedia"]
    assert a["summary"] == "A French instruction-tuned model."
    exported = (await client.get("/api/v1/catalog/lab/petit/README.md", headers=h)).text
    assert exported.startswith("---\nlanguage:\n- fr\n- en\nlicense: apache-2.0\n")
    assert "pipeline_tag: text-generation" in exported and "# Petit modèle" in exported
    # The export reads back to the same description.
    r = await client.put("/api/v1/catalog/lab/petit/card", content=exported.encode(), headers=h)
    assert r.status_code == 200 and r.json()["tags"] == ["french", "llm"]


@pytest.mark.parametrize(
    "card, needle",
    [
        ("---\nlicense: [apache-2.0\n---\nbody", "malformed at line"),
        ("---\nlicense: mit\nno end", "not closed"),
        ("---\n- a\n- b\n---\n", "must be a YAML mapping"),
        ("---\nlicense: not-a-licence\n---\n", "unknown licence"),
        ("---\nlanguage: {a: 1}\n---\n", "'language' must be a string or a list"),
        ("---\nsize_categories: [lots]\n---\n", "size category"),
    ],
)
async def test_malformed_cards_are_422(client, db, card, needle):
    h = await owner_with_asset(client, db)
    before = (await client.get("/api/v1/catalog/neuro/mri-small")).json()
    r = await client.put("/api/v1/catalog/neuro/mri-small/card", content=card.encode(), headers=h)
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]
    assert (await client.get("/api/v1/catalog/neuro/mri-small")).json() == before
    r = await client.post(
        "/api/v1/catalog/import",
        params={"organisation": "neuro", "slug": "neuro/other", "kind": "dataset"},
        content=card.encode(),
        headers=h,
    )
    assert r.status_code == 422
    assert await db.scalar(select(func.count()).select_from(Asset)) == 1


async def test_dcat_and_schema_org(client, db):
    h = await owner_with_asset(client, db, languages=["fr"], origin_country="FR",
                               contact="data@neuro.example", tags=["mri"])  # fmt: skip
    await publish(client, h, "neuro/mri-small", "v1", {"scans/a.nii": b"abc"})
    r = await client.get("/api/v1/catalog/neuro/mri-small/dcat.jsonld")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    d = r.json()
    assert d["@type"] == "dcat:Dataset" and d["dct:title"] == "MRI small"
    assert [x["@id"] for x in d["dct:language"]] == [
        "http://publications.europa.eu/resource/authority/language/FRA"
    ]
    assert d["dct:license"]["@id"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    dist = d["dcat:distribution"][0]
    assert dist["spdx:checksum"]["spdx:checksumValue"]["@value"].startswith("ba7816bf")
    assert dist["dcat:byteSize"]["@value"] == "3"
    s = (await client.get("/api/v1/catalog/neuro/mri-small/schema.jsonld")).json()
    assert s["@type"] == "Dataset" and s["distribution"][0]["contentSize"] == "3"
    assert s["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    r = await client.get("/api/v1/catalog/nobody/nothing/dcat.jsonld")
    assert r.status_code == 404
