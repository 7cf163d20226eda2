"""Search: full text (FTS5 / tsvector), prefix matching, facets, sorting, on both databases."""

from __future__ import annotations

from .helpers import owner_with_asset, publish

ASSETS = [
    ("neuro/mri-small", "dataset", "Brain MRI scans", "cc-by-4.0", ["fr"], ["health"],
     "image-segmentation", "open"),
    ("neuro/ct-lungs", "dataset", "Lung CT scans annotated", "cc-by-nc-4.0", ["en"], ["health"],
     "image-segmentation", "gated"),
    ("neuro/camembert-med", "model", "French medical language model", "mit", ["fr"],
     ["health"], "fill-mask", "open"),
    ("neuro/wind-forecast", "model", "Wind power forecasting", "apache-2.0", ["en", "fr"],
     ["energy"], "time-series-forecasting", "open"),
]  # fmt: skip


async def _load(client, db):
    h = None
    for i, (slug, kind, name, lic, langs, sectors, task, policy) in enumerate(ASSETS):
        if h is None:
            h = await owner_with_asset(client, db, slug=slug, kind=kind, name=name, license=lic,
                                       languages=langs, sectors=sectors, task=task,
                                       access_policy=policy,
                                       summary=f"{name} number {i}")  # fmt: skip
            # Only assets with a published version are listed.
            await publish(client, h, slug, "v1", {"README.md": name.encode()})
            continue
        body = {"kind": kind, "organisation": "neuro", "slug": slug, "name": name,
                "license": lic, "languages": langs, "sectors": sectors, "task": task,
                "access_policy": policy, "summary": f"{name} number {i}"}  # fmt: skip
        r = await client.post("/api/v1/catalog", json=body, headers=h)
        assert r.status_code == 201, r.text
        await publish(client, h, slug, "v1", {"README.md": name.encode()})
    return h


async def _slugs(client, **params):
    r = await client.get("/api/v1/catalog", params=params)
    assert r.status_code == 200, r.text
    return [i["slug"] for i in r.json()["items"]], r.json()


async def test_full_text_with_prefix_and_accents(client, db):
    await _load(client, db)
    slugs, body = await _slugs(client, q="scans")
    assert sorted(slugs) == ["neuro/ct-lungs", "neuro/mri-small"] and body["total"] == 2
    assert (await _slugs(client, q="forec"))[0] == ["neuro/wind-forecast"]  # as you type
    assert (await _slugs(client, q="french medical"))[0] == ["neuro/camembert-med"]
    assert (await _slugs(client, q="camembert"))[0] == ["neuro/camembert-med"]  # slug words
    assert (await _slugs(client, q="nothing-like-this"))[0] == []
    assert (await _slugs(client, q='"; DROP TABLE x; --'))[0] == []  # odd input is just words


async def test_facets_filters_and_sorting(client, db):
    h = await _load(client, db)
    slugs, body = await _slugs(client)
    assert body["total"] == 4
    facets = {k: {f["value"]: f["count"] for f in v} for k, v in body["facets"].items()}
    assert facets["kind"] == {"dataset": 2, "model": 2}
    assert facets["language"] == {"fr": 3, "en": 2}
    assert facets["sector"] == {"health": 3, "energy": 1}
    assert facets["access_policy"] == {"open": 3, "gated": 1}
    assert (await _slugs(client, kind="model", language="fr"))[0] == [
        "neuro/wind-forecast",
        "neuro/camembert-med",
    ]  # newest first by default
    assert (await _slugs(client, sector="energy"))[0] == ["neuro/wind-forecast"]
    assert (await _slugs(client, license="mit"))[0] == ["neuro/camembert-med"]
    assert (await _slugs(client, access_policy="gated", q="lung"))[0] == ["neuro/ct-lungs"]
    names = (await _slugs(client, sort="name"))[0]
    assert names == [
        "neuro/mri-small",
        "neuro/camembert-med",
        "neuro/ct-lungs",
        "neuro/wind-forecast",
    ]
    # An edit is searchable at once (the index follows search_text).
    await client.patch("/api/v1/catalog/neuro/ct-lungs", json={"summary": "pulmonary"}, headers=h)
    assert (await _slugs(client, q="pulmonary"))[0] == ["neuro/ct-lungs"]
    assert (await _slugs(client, q="annotated"))[0] == ["neuro/ct-lungs"]  # name still indexed
    r = await client.get("/api/v1/catalog", params={"sort": "random"})
    assert r.status_code == 422


async def test_totals_and_facets_are_bounded_and_say_so(client, db, monkeypatch):
    from aifhub.catalog import search

    await _load(client, db)
    monkeypatch.setattr(search, "TOTAL_CAP", 3)
    monkeypatch.setattr(search, "FACET_SAMPLE", 2)
    _, body = await _slugs(client)
    assert body["total"] == 3 and body["total_exact"] is False
    assert body["facets_exact"] is False
    assert sum(f["count"] for f in body["facets"]["kind"]) == 2
    _, body = await _slugs(client, q="scans")
    assert body["total"] == 2 and body["total_exact"] is True
    assert body["facets_exact"] is True


async def test_relevance_window_still_pages_through_every_match(client, db, monkeypatch):
    from aifhub.catalog import search

    await _load(client, db)
    monkeypatch.setattr(search, "RANK_WINDOW", 1)
    first, body = await _slugs(client, q="scans", limit=1)
    second, _ = await _slugs(client, q="scans", limit=1, offset=1)
    assert body["total"] == 2 and len(first) == len(second) == 1 and first != second
