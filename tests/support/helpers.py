"""Shared set-up for support tests: a project with a member, a support desk, experts."""

from __future__ import annotations

from ..factories import api_user, make_org, make_project, make_user, token_for


async def desk_and_project(client, db):
    """A PI with project 'mri', a support agent, and two experts with profiles."""
    pi = await api_user(db, "pi@neuro.example")
    await make_org(client, pi, "neuro")
    await make_project(client, pi, "mri", "neuro", description="MRI segmentation")
    desk = await api_user(db, "desk@factory.example", staff=("support",))
    rocm = await make_user(db, "rocm@factory.example", name="Rita Rocm", staff=("expert",))
    llm = await make_user(db, "llm@factory.example", name="Leo Llm", staff=("expert",))
    for user, skills, sectors, cap in (
        (rocm, ["rocm-porting", "hpc-performance"], ["energy"], 3),
        (llm, ["llm-fine-tuning", "computer-vision"], ["health"], 1),
    ):
        r = await client.put(
            f"/api/v1/support/experts/{user.id}",
            json={"skills": skills, "sectors": sectors, "languages": ["en"], "capacity": cap},
            headers=desk,
        )
        assert r.status_code == 200, r.text
    return {
        "pi": pi,
        "desk": desk,
        "rocm": rocm,
        "llm": llm,
        "rocm_h": await token_for(db, rocm),
        "llm_h": await token_for(db, llm),
    }


async def open_ticket(client, headers, **fields):
    body = {
        "project": "mri",
        "title": "Porting our U-Net to MI250X with ROCm",
        "body": "The HIP build fails on Adastra MI250 nodes; hipify leaves CUDA calls.",
        "category": "compute",
        "priority": "high",
        **fields,
    }
    r = await client.post("/api/v1/tickets", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()
