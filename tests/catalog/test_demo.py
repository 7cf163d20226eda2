"""The demo catalogue loads, is searchable, and its synthetic files match their checksums."""

from __future__ import annotations

import hashlib

from aifhub.core.infra import build_infrastructure
from aifhub.demo import load_demo


async def test_demo_catalogue(client, db, settings):
    assert await load_demo(settings)
    r = await client.get("/api/v1/catalog", params={"q": "camembert"})
    assert [i["slug"] for i in r.json()["items"]] == ["almanach/camembert-base"]
    bloom = (await client.get("/api/v1/catalog/bigscience/bloom")).json()
    assert bloom["license"] == "bigscience-bloom-rail-1.0"
    r = await client.get("/api/v1/catalog", params={"access_policy": "restricted"})
    assert r.json()["total"] == 1
    v = (await client.get("/api/v1/catalog/neuroscan/mri-features-synthetic/versions/v1")).json()
    store = build_infrastructure(settings).store
    for f in v["files"]:
        data = store.local_path(f["sha256"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["size"]
    r = await client.get("/api/v1/catalog/wikimedia/wikipedia/dcat.jsonld")
    assert r.json()["dct:license"]["@id"] == "https://spdx.org/licenses/CC-BY-SA-3.0.html"
