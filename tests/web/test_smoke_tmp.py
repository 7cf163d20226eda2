from .helpers import HTML, user_and_login


async def test_pages_render(client, db):
    csrf = await user_and_login(client, db, "ada@example.eu", staff=("admin",))
    r = await client.post("/organisations/new", data={"csrf_token": csrf, "slug": "acme", "name": "Acme", "kind": "sme", "country": "FR", "sectors": ["health", "energy"]})
    assert r.status_code == 303, r.text
    r = await client.post("/projects/new", data={"csrf_token": csrf, "slug": "p1", "name": "P1", "organisation": "acme", "sector": "health"})
    assert r.status_code == 303, r.text
    for url in ["/", "/organisations", "/organisations/new", "/organisations/acme", "/projects", "/projects/new", "/projects/p1", "/account", "/staff/audit", "/staff/users"]:
        r = await client.get(url, headers=HTML)
        assert r.status_code == 200, (url, r.text[-3000:])
