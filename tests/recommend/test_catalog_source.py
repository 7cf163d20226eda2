"""The catalogue's datasets and models are proposed to projects and found by the search box."""

from __future__ import annotations

from ..catalog.helpers import owner_with_asset
from ..factories import api_user, make_org, make_project


async def test_catalogue_assets_are_recommended_and_searchable(client, db):
    await owner_with_asset(
        client,
        db,
        slug="neuro/brain-mri",
        name="Brain MRI scans",
        summary="Anonymised brain MRI scans for segmentation",
        sectors=["health"],
        tags=["mri", "segmentation"],
    )
    await owner_with_asset(
        client,
        db,
        slug="agro/wheat-fields",
        org="agro",
        name="Wheat field images",
        summary="Satellite images of wheat fields",
        sectors=["agronomy"],
        tags=["satellite"],
    )
    pi = await api_user(db, "pi@clinic.example")
    await make_org(client, pi, "clinic", kind="sme")
    await make_project(
        client,
        pi,
        "mri-seg",
        "clinic",
        sector="health",
        description="Segmentation of brain MRI scans with a 3D U-Net",
    )
    r = await client.get("/api/v1/projects/mri-seg/recommendations", headers=pi)
    assert r.status_code == 200, r.text
    datasets = r.json()["groups"]["dataset"]
    assert datasets[0]["id"] == "neuro/brain-mri"
    assert any("health" in reason for reason in datasets[0]["reasons"])

    found = await client.get("/api/v1/search", params={"q": "wheat satellite"}, headers=pi)
    assert found.status_code == 200, found.text
    assert "agro/wheat-fields" in found.text
