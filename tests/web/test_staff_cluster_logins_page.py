"""The staff's cluster-logins page over HTTP: the map form's refusals beside their field with
the values kept, the note for clusters whose users the platform cannot see, the filters."""

from __future__ import annotations

import html

import pytest

from aifhub.compute import web_logins
from aifhub.core.config import SiteConfig
from aifhub.resources.site import sync_site

from ..factories import make_user
from ..unix_users import missing_unix_name
from .helpers import HTML, user_and_login

CPU = [{"name": "cpu", "cores_per_node": 4, "max_time": "2h"}]
PAGE = "/staff/cluster-logins"


@pytest.fixture
async def admin_csrf(client, db):
    site = SiteConfig.model_validate(
        {
            "clusters": [
                {"name": "loc", "backend": "local", "partitions": CPU},
                {"name": "rest", "backend": "slurmrest", "partitions": CPU},
            ]
        }
    )
    await sync_site(db, site)
    await db.commit()
    await make_user(db, "ada@lab.eu")
    return await user_and_login(client, db, "admin@factory.eu", staff=("admin",))


def _text(page) -> str:
    return html.unescape(page.text)


async def test_map_form_refusals_sit_beside_their_field(client, admin_csrf, unix_user):
    page = await client.get(PAGE, headers=HTML)
    assert page.status_code == 200
    # only the slurmrest cluster carries the note
    assert "cannot see the Unix users of cluster 'rest'" in _text(page)
    assert "cluster 'loc'" not in _text(page)

    missing = missing_unix_name()
    form = {"csrf_token": admin_csrf, "user_email": "ada@lab.eu", "cluster": "loc"}
    r = await client.post(PAGE, data={**form, "login": missing}, headers=HTML)
    assert r.status_code == 422
    assert (
        f'<p class="field-error" id="login-error">&#39;{missing}&#39; is not a user on the host '
        "that submits to cluster &#39;loc&#39;: create the Unix user there first, or check the "
        "spelling.</p>"
    ) in r.text
    assert f'value="{missing}"' in r.text and 'value="ada@lab.eu"' in r.text
    r = await client.post(
        PAGE, data={**form, "user_email": "who@else.eu", "login": unix_user}, headers=HTML
    )
    assert r.status_code == 404
    assert '<p class="field-error" id="user_email-error">No user has the e-mail' in _text(r)
    r = await client.post(PAGE, data={**form, "cluster": "gone", "login": unix_user}, headers=HTML)
    assert r.status_code == 404
    assert '<p class="field-error" id="cluster-error">No cluster &#39;gone&#39;' in r.text

    r = await client.post(PAGE, data={**form, "login": unix_user}, headers=HTML)
    assert r.status_code == 303
    page = await client.get(r.headers["location"], headers=HTML)
    assert f"Login &#39;{unix_user}&#39; mapped for ada@lab.eu on loc." in page.text
    # the filters: by cluster and state, and a search on the e-mail
    for query, shown in (
        ("?cluster=loc&status=approved", True),
        ("?cluster=rest", False),
        ("?status=revoked", False),
        ("?q=ADA@lab", True),
        ("?q=zzz", False),
    ):
        listed = (await client.get(PAGE + query, headers=HTML)).text
        table = listed.split('id="all-logins"', 1)[1]
        assert (f"<code>{unix_user}</code>" in table) is shown, query


async def test_the_list_shows_the_newest_and_says_how_many_more(
    client, db, admin_csrf, monkeypatch
):
    await make_user(db, "bob@lab.eu")
    monkeypatch.setattr(web_logins, "LISTED_MAX", 1)
    for email, login in (("ada@lab.eu", "ada_old"), ("bob@lab.eu", "bob_new")):
        r = await client.post(
            PAGE,
            data={"csrf_token": admin_csrf, "user_email": email, "cluster": "rest", "login": login},
            headers=HTML,
        )
        assert r.status_code == 303, r.text
    listed = (await client.get(PAGE, headers=HTML)).text
    assert "Showing the newest 1 of 2 logins: narrow them with the filters or the search." in (
        listed
    )
    table = listed.split('id="all-logins"', 1)[1]
    assert "<code>bob_new</code>" in table and "ada_old" not in table
    # the search reaches the older one
    table = (await client.get(PAGE + "?q=ada_old", headers=HTML)).text.split('id="all-logins"')[1]
    assert "<code>ada_old</code>" in table
