"""Access test helpers: partitions created directly (the compute sync is another domain's)."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.identity.service import create_user
from aifhub.resources.models import Cluster, Partition

from ..factories import make_org, make_project, token_for

STAFF = ("admin",)


async def api_user(db: AsyncSession, email: str, *, staff: tuple[str, ...] = ()) -> dict[str, str]:
    """A user without a password (hashing is slow and these tests use tokens) and their headers."""
    user = await create_user(
        db,
        email=email,
        name=email.split("@")[0],
        password=None,
        staff_roles=staff,
        email_verified=True,
    )
    await db.commit()
    return await token_for(db, user)


async def partitions(db: AsyncSession) -> dict[str, Partition]:
    """A cluster 'jz' with gpu (V100, factor 1), a100 (factor 2) and cpu partitions."""
    # Only jz's: an app started by the test itself has synced its site's clusters (`local`).
    existing = {
        p.key: p for p in await db.scalars(select(Partition).where(Partition.key.like("jz/%")))
    }
    if existing:
        return existing
    cluster = Cluster(name="jz", backend="local")
    db.add(cluster)
    await db.flush()
    out = {}
    for name, acc, factor, unit in [
        ("v100", "V100", "1", "gpu_hours"),
        ("a100", "A100", "2", "gpu_hours"),
        ("h100", "H100", "4", "gpu_hours"),
        ("cpu", None, "1", "cpu_hours"),
    ]:
        p = Partition(
            cluster_id=cluster.id,
            name=name,
            key=f"jz/{name}",
            accelerator=acc,
            gpus_per_node=4 if acc else 0,
            charge_factor=Decimal(factor),
            unit=unit,
        )
        db.add(p)
        out[p.key] = p
    await db.commit()
    return out


class World:
    """An applicant PI in an organisation with a project, staff, and partitions."""

    pi: dict[str, str]
    admin: dict[str, str]
    reviewers: list[dict[str, str]]
    project: str
    org: str


async def world(
    client: httpx.AsyncClient,
    db: AsyncSession,
    *,
    kind: str = "startup",
    country: str = "FR",
    tag: str = "a",
) -> World:
    """Create partitions, a PI with an org and project, an admin and three reviewers."""
    await partitions(db)
    w = World()
    w.pi = await api_user(db, f"pi-{tag}@{tag}.example")
    w.org = f"org-{tag}"
    await make_org(client, w.pi, w.org, kind=kind, country=country)
    w.project = f"proj-{tag}"
    await make_project(client, w.pi, w.project, w.org)
    w.admin = await api_user(db, f"admin-{tag}@factory.eu", staff=("admin",))
    w.reviewers = [
        await api_user(db, f"rev{i}-{tag}@factory.eu", staff=("reviewer",)) for i in range(3)
    ]
    return w


def body(w: World, mode: str = "fast-lane", **over: object) -> dict:
    """A valid application body for a mode."""
    b: dict = {
        "project": w.project,
        "mode": mode,
        "title": "Fine-tune a model",
        "technical_description": "We fine-tune a 7B model on 8 GPUs.",
        "datasets_models": "hf:mistralai/Mistral-7B",
        "sector": "health",
        "duration_months": 3,
        "items": [{"partition": "jz/a100", "amount": "1000"}],
    }
    if mode == "large-scale":
        b.update(
            duration_months=6,
            items=[{"partition": "jz/h100", "amount": "60000"}],
            fallback_partitions=["jz/a100"],
        )
    if mode == "national-dynamic":
        b.update(duration_months=12)
    if mode == "playground":
        b.update(items=[{"partition": "jz/v100", "amount": "500"}])
    b.update(over)
    return b


async def create(
    client: httpx.AsyncClient, w: World, mode: str = "fast-lane", **over: object
) -> dict:
    """Create a draft through the API."""
    r = await client.post("/api/v1/applications", json=body(w, mode, **over), headers=w.pi)
    assert r.status_code == 201, r.text
    return r.json()


async def post(
    client: httpx.AsyncClient, url: str, headers: dict, json: object = None, status: int = 200
) -> dict:
    """POST and assert the status."""
    r = await client.post(url, json=json, headers=headers)
    assert r.status_code == status, r.text
    return r.json()


SCORES = {"feasibility": 4, "quality": 5, "impact": 3, "resources": 4}


async def review_step(client: httpx.AsyncClient, w: World, app_id: int, step: str, n: int) -> None:
    """Assign n reviewers at a step and have them submit."""
    for i in range(n):
        email = f"rev{i}-{w.org.removeprefix('org-')}@factory.eu"
        rv = await post(
            client,
            f"/api/v1/applications/{app_id}/reviews",
            w.admin,
            {"reviewer": email, "step": step},
            201,
        )
        await post(
            client,
            f"/api/v1/reviews/{rv['id']}/submit",
            w.reviewers[i],
            {"scores": SCORES, "comment": "Sound plan."},
        )
