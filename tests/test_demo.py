"""The demo data loads once, and every demo login works through the API (what the README says)."""

from __future__ import annotations

from aifhub.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo


async def test_demo_loads_once_and_every_login_works(client, settings):
    assert await load_demo(settings) is True
    assert await load_demo(settings) is False
    for email, _ in DEMO_LOGINS:
        r = await client.post(
            "/api/v1/tokens/login",
            json={"email": email, "password": DEMO_PASSWORD, "name": "demo"},
        )
        assert r.status_code == 201, (email, r.text)
    last = {"Authorization": f"Bearer {r.json()['token']}"}
    projects = await client.get("/api/v1/projects", headers=last)
    assert projects.json()["total"] >= 1
