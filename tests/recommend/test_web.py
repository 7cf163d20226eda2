"""Recommendation and search pages."""

from __future__ import annotations

from ..factories import make_org, make_project, make_user, token_for
from ..web.helpers import HTML, login


async def test_recommendation_and_search_pages(client, db):
    staff = await make_user(db, "staff@factory.example", staff=("support",))
    sh = await token_for(db, staff)
    await client.post(
        "/api/v1/training/courses",
        json={
            "slug": "med",
            "title": "Deep learning for medical imaging",
            "level": "beginner",
            "topics": ["mri"],
            "sectors": ["health"],
        },
        headers=sh,
    )
    pi = await make_user(db, "pi@neuro.example")
    h = await token_for(db, pi)
    await make_org(client, h, "neuro")
    await make_project(client, h, "mri", "neuro", description="Segmentation of brain MRI")
    await login(client, "pi@neuro.example")
    home = await client.get("/", headers=HTML)
    assert 'href="/projects/mri/recommendations"' in home.text
    page = await client.get("/projects/mri/recommendations", headers=HTML)
    assert page.status_code == 200
    assert "Deep learning for medical imaging" in page.text and "same sector: Health" in page.text
    found = await client.get("/search?q=medical imaging", headers=HTML)
    assert "Deep learning for medical imaging" in found.text
    assert "Type at least two characters" in (await client.get("/search?q=a", headers=HTML)).text
    other = await make_user(db, "x@other.example")
    await login(client, other.email)
    assert (await client.get("/projects/mri/recommendations", headers=HTML)).status_code == 404
