"""Recommendations and search over the real sources: partitions, experts, courses, partners."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from aifhub.resources.models import Cluster, Partition

from ..factories import api_user, make_org, make_project, make_user


async def seed(client, db):
    staff = await api_user(db, "staff@factory.example", staff=("support",))
    vision = await make_user(db, "vic@factory.example", name="Victor Vision", staff=("expert",))
    rocm = await make_user(db, "rita@factory.example", name="Rita Rocm", staff=("expert",))
    for user, skills, sectors in (
        (vision, ["computer-vision", "data-governance"], ["health"]),
        (rocm, ["rocm-porting", "hpc-performance"], ["energy"]),
    ):
        r = await client.put(
            f"/api/v1/support/experts/{user.id}",
            json={"skills": skills, "sectors": sectors, "headline": "expert"},
            headers=staff,
        )
        assert r.status_code == 200, r.text
    for slug, title, topics, sectors in (
        ("medimg", "Deep learning for medical imaging", ["mri", "segmentation"], ["health"]),
        ("rocm", "Porting to AMD GPUs with ROCm", ["rocm", "hip"], []),
    ):
        r = await client.post(
            "/api/v1/training/courses",
            json={
                "slug": slug,
                "title": title,
                "level": "intermediate",
                "topics": topics,
                "sectors": sectors,
            },
            headers=staff,
        )
        assert r.status_code == 201
        start = datetime.now(UTC) + timedelta(days=20)
        await client.post(
            f"/api/v1/training/courses/{slug}/sessions",
            json={
                "format": "online",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=6)).isoformat(),
                "seats": 10,
            },
            headers=staff,
        )
    for body in (
        {
            "slug": "medtech-inc",
            "name": "MedTech incubator",
            "kind": "incubator",
            "description": "Incubator for medical imaging startups",
            "sectors": ["health"],
        },
        {
            "slug": "industry-fund",
            "name": "Industry fund",
            "kind": "fund",
            "startups_only": False,
            "description": "Co-invests in industrial AI",
            "sectors": ["aeronautics"],
        },
    ):
        assert (await client.post("/api/v1/partners", json=body, headers=staff)).status_code == 201
    cluster = Cluster(name="jz", backend="local")
    db.add(cluster)
    await db.flush()
    db.add_all(
        [
            Partition(
                cluster_id=cluster.id,
                name="gpu_p5",
                key="jz/gpu_p5",
                accelerator="A100",
                gpus_per_node=8,
                nodes=52,
                charge_factor=Decimal(2),
            ),
            Partition(
                cluster_id=cluster.id,
                name="cpu_p1",
                key="jz/cpu_p1",
                accelerator=None,
                cores_per_node=40,
                nodes=700,
                unit="cpu_hours",
            ),
        ]
    )
    await db.commit()
    pi = await api_user(db, "pi@neuro.example")
    await make_org(client, pi, "neuro", kind="sme")
    await make_project(
        client,
        pi,
        "mri",
        "neuro",
        sector="health",
        description="Fine-tuning a 3D U-Net on anonymised brain MRI scans for segmentation.",
    )
    return staff, pi


async def test_recommendations_with_reasons(client, db):
    _, pi = await seed(client, db)
    r = await client.get("/api/v1/projects/mri/recommendations", headers=pi)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["workload"]["gpu_need"] == "medium"
    g = body["groups"]
    assert g["partition"][0]["id"] == "jz/gpu_p5"
    assert "jz/cpu_p1" not in [x["id"] for x in g["partition"]]
    assert g["expert"][0]["title"] == "Victor Vision"
    assert any("same sector: health" in x for x in g["expert"][0]["reasons"])
    assert g["course"][0]["id"] == "medimg"
    assert any(x.startswith("seats left on") for x in g["course"][0]["reasons"])
    # the incubator takes startups only: an SME is not proposed it
    assert "incubator" not in g
    assert [x["id"] for x in g["fund"]] == ["industry-fund"]


async def test_recommendations_refuse_bad_input(client, db):
    _, pi = await seed(client, db)
    other = await api_user(db, "other@else.example")
    assert (
        await client.get("/api/v1/projects/mri/recommendations", headers=other)
    ).status_code == 404
    r = await client.get("/api/v1/projects/mri/recommendations?method=magic", headers=pi)
    assert r.status_code == 422 and "bm25+rules" in r.json()["detail"]


async def test_one_search_box(client, db):
    staff, pi = await seed(client, db)
    await client.post(
        "/api/v1/kb/articles",
        json={"slug": "rocm-howto", "title": "Porting CUDA to ROCm", "body": "hipify ..."},
        headers=staff,
    )
    r = await client.get("/api/v1/search?q=rocm porting", headers=pi)
    assert r.status_code == 200, r.text
    g = r.json()["groups"]
    assert g["expert"][0]["title"] == "Rita Rocm"
    assert g["course"][0]["id"] == "rocm"
    assert g["article"][0]["id"] == "rocm-howto"
    assert "partition" not in g
    r = await client.get("/api/v1/search?q=rocm&kind=course", headers=pi)
    assert list(r.json()["groups"]) == ["course"]
    assert (await client.get("/api/v1/search?q=a", headers=pi)).status_code == 422
