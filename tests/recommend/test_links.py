"""Every recommended or found item links to its page and to what it recommends doing."""

from __future__ import annotations

from aifhub.core import i18n
from aifhub.recommend.links import item_links

from ..factories import make_org, make_project, make_user, token_for
from ..support.helpers import desk_and_project
from ..web.helpers import HTML, login


def test_links_of_each_kind():
    ds = item_links("dataset", "neuro/mri-small", "MRI small", "mri")
    assert ds.page == "/catalog/neuro/mri-small"
    assert ds.actions == (("Request access", "/catalog/neuro/mri-small#access"),)
    assert item_links("model", "a/b", "B", open_access=True).actions == ()
    expert = item_links("expert", "7", "Rita Rocm", "mri")
    assert expert.page is None
    assert expert.actions == (
        ("Ask this expert", "/support/new?project=mri&title=Question+for+Rita+Rocm"),
    )
    course = item_links("course", "med", "Deep learning", "mri")
    assert course.page == "/training#course-med"
    assert course.actions == (("Enrol", "/training#enrol-med"),)
    fund = item_links("fund", "deeptech-seed", "DeepTech Seed")
    assert fund.page == "/partners#partner-deeptech-seed"
    assert fund.actions == (("Ask for an introduction", "/partners#introduce-deeptech-seed"),)
    assert item_links("article", "slurm-101", "Slurm").page == "/support/articles/slurm-101"
    part = item_links("partition", "testc/gpu", "testc/gpu", "mri")
    assert part.actions == (
        ("Apply for hours", "/applications/new?project=mri"),
        ("Submit a job", "/jobs/new?project=mri&partition=testc%2Fgpu"),
    )
    mode = item_links("mode", "ai-access", "AI access", "mri")
    assert mode.actions == (("Apply", "/applications/new?project=mri&mode=ai-access"),)
    fr = item_links("expert", "7", "Rita", "mri", i18n.translations("fr").gettext)
    assert fr.actions[0][0] == "Poser une question à cet expert"
    assert "Question+pour+Rita" in fr.actions[0][1]


async def _directory(client, db):
    """Experts (from the support helpers), a course and a fund, and project 'mri'."""
    s = await desk_and_project(client, db)
    staff = await make_user(db, "staff@factory.example", staff=("support",))
    sh = await token_for(db, staff)
    r = await client.post(
        "/api/v1/training/courses",
        json={
            "slug": "med",
            "title": "Deep learning for medical imaging",
            "level": "beginner",
            "topics": ["mri", "llm"],
            "sectors": ["health"],
        },
        headers=sh,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/partners",
        json={
            "slug": "deeptech-seed",
            "name": "DeepTech Seed",
            "kind": "fund",
            "description": "Seed funding for medical imaging and llm start-ups",
            "sectors": ["health"],
            "stages": ["seed"],
            "website": "https://deeptech.example",
        },
        headers=sh,
    )
    assert r.status_code == 201, r.text
    return s


async def test_recommendations_link_to_pages_and_actions(client, db):
    await _directory(client, db)
    await login(client, "pi@neuro.example")
    page = await client.get("/projects/mri/recommendations", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert 'href="/training#course-med"' in text and 'href="/training#enrol-med"' in text
    assert 'href="/partners#partner-deeptech-seed"' in text
    assert 'href="/partners#introduce-deeptech-seed"' in text
    assert 'href="/support/new?project=mri&amp;title=Question+for+' in text
    assert 'href="/projects/mri"' in text  # back to the project's hub
    # the pages they lead to carry the anchors
    training = await client.get("/training", headers=HTML)
    assert 'id="course-med"' in training.text and 'id="enrol-med"' in training.text
    partners = await client.get("/partners", headers=HTML)
    assert 'id="partner-deeptech-seed"' in partners.text
    assert 'id="introduce-deeptech-seed"' in partners.text
    assert 'href="https://deeptech.example"' in partners.text
    ask = await client.get("/support/new?project=mri&title=Question+for+Leo+Llm", headers=HTML)
    assert 'value="Question for Leo Llm"' in ask.text


async def test_search_results_link_to_pages_and_actions(client, db):
    s = await _directory(client, db)
    await login(client, "pi@neuro.example")
    found = await client.get("/search?q=llm medical imaging", headers=HTML)
    text = found.text
    assert 'href="/training#course-med"' in text and ">Enrol<" in text
    assert 'href="/partners#partner-deeptech-seed"' in text
    assert "/support/new?title=Question+for+Leo+Llm" in text and "Ask this expert" in text
    assert str(s["llm"].name) in text
    client.cookies.set("lang", "fr")
    fr = await client.get("/search?q=llm medical imaging", headers=HTML)
    assert "Formations" in fr.text and "Poser une question à cet expert" in fr.text


async def test_talent_offers_and_data_link(client, db):
    founder = await make_user(db, "founder@neuro.example")
    h = await token_for(db, founder)
    await make_org(client, h, "neuro", kind="startup")
    await make_project(client, h, "mri", "neuro")
    r = await client.post(
        "/api/v1/talent/offers",
        json={"organisation": "neuro", "kind": "internship", "title": "ML intern",
              "description": "Segment brain scans", "skills": ["pytorch"]},
        headers=h,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    await login(client, "founder@neuro.example")
    page = await client.get("/talent", headers=HTML)
    oid = r.json()["id"]
    assert f'id="offer-{oid}"' in page.text and f'href="/talent#offer-{oid}"' in page.text
    assert "Segment brain scans" in page.text
