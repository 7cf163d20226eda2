"""Catalogue pages: search (with the HTMX fragment), an asset's page, request and decide."""

from __future__ import annotations

from sqlalchemy import select

from aifhub.catalog.models import AccessContract

from ..factories import make_org, make_project, token_for
from ..web.helpers import HTML, login, user_and_login
from .helpers import owner_with_asset, publish


async def test_search_page_and_fragment(client, db):
    h = await owner_with_asset(client, db, languages=["fr"])
    await publish(client, h, "neuro/mri-small", "v1", {"scan.nii": b"x"})
    r = await client.get("/catalog", params={"q": "mri"}, headers=HTML)
    assert r.status_code == 200 and "MRI small" in r.text and 'hx-get="/catalog"' in r.text
    r = await client.get("/catalog", params={"q": "mr"}, headers={**HTML, "HX-Request": "true"})
    assert r.status_code == 200 and "MRI small" in r.text and "<html" not in r.text
    r = await client.get("/catalog", params={"q": "zzz"}, headers={**HTML, "HX-Request": "true"})
    assert "Nothing matches" in r.text
    r = await client.get("/catalog/neuro/mri-small", headers=HTML)
    assert r.status_code == 200 and "scan.nii" in r.text and "DCAT-AP" in r.text
    assert (await client.get("/catalog/neuro/none", headers=HTML)).status_code == 404


async def test_request_and_agree_through_the_pages(client, db):
    owner_h = await owner_with_asset(client, db, access_policy="gated",
        gate_questions=[{"name": "ethics", "label": "Ethics approval",
                         "type": "checkbox"}])  # fmt: skip
    # Gated data is requested once a version is published (drafts are the owners' only).
    await publish(client, owner_h, "neuro/mri-small", "v1", {"scan.nii": b"x"})
    csrf = await user_and_login(client, db, "pi@aero.example")
    from aifhub.identity.service import get_user_by_email

    pi = await get_user_by_email(db, "pi@aero.example")
    pi_h = await token_for(db, pi)
    await make_org(client, pi_h, "aero")
    await make_project(client, pi_h, "wing-cfd", "aero")
    page = await client.get("/catalog/neuro/mri-small", headers=HTML)
    assert "Request access" in page.text
    form = {"csrf_token": csrf, "project": "wing-cfd", "purpose": "Defect detection on wings"}
    r = await client.post("/catalog/neuro/mri-small/request", data=form, headers=HTML)
    assert r.status_code == 422 and "Ethics approval" in r.text  # unanswered checkbox
    assert await db.scalar(select(AccessContract.id)) is None
    r = await client.post(
        "/catalog/neuro/mri-small/request", data={**form, "q_ethics": "on"}, headers=HTML
    )
    assert r.status_code == 303
    contract_id = await db.scalar(select(AccessContract.id))
    # The owner agrees on the page.
    csrf = await login(client, "owner@neuro.example")
    page = await client.get("/catalog/neuro/mri-small", headers=HTML)
    assert "Defect detection on wings" in page.text
    r = await client.post(
        f"/access-requests/{contract_id}/agree", data={"csrf_token": csrf}, headers=HTML
    )
    assert r.status_code == 303
    r = await client.post(f"/access-requests/{contract_id}/agree", data={}, headers=HTML)
    assert r.status_code == 403  # no CSRF token, nothing changes
    state = (await client.get(f"/api/v1/access-requests/{contract_id}", headers=owner_h)).json()
    assert state["state"] == "agreed"
