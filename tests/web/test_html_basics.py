"""HTML basics every page relies on: real attributes, unique ids, an icon of its own."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from .helpers import user_and_login


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "input":
            self.inputs[str(found.get("name"))] = found


def _inputs(html: str) -> dict[str, dict[str, str | None]]:
    parser = _Inputs()
    parser.feed(html)
    return parser.inputs


async def test_sign_in_and_register_fields_have_real_autocomplete_values(client, db):
    login = _inputs((await client.get("/login")).text)
    assert login["email"]["autocomplete"] == "username" and "autofocus" in login["email"]
    assert login["password"]["autocomplete"] == "current-password"
    register = _inputs((await client.get("/register")).text)
    assert register["name"]["autocomplete"] == "name"
    assert register["email"]["autocomplete"] == "email"
    assert register["password"]["autocomplete"] == "new-password"
    for fields in (login, register):
        for attrs in fields.values():
            assert not any('"' in (v or "") for v in attrs.values()), attrs


async def test_the_account_page_has_no_duplicate_ids(client, db):
    # Two forms (a token's name, the person's name) once shared the id f-name: a label then
    # pointed at the wrong field and screen readers read the wrong one.
    await user_and_login(client, db, "ids@lab.eu")
    parser = _Inputs()
    parser.feed((await client.get("/account")).text)
    twice = [i for i, n in Counter(parser.ids).items() if n > 1]
    assert not twice and "f-token-name" in parser.ids and "f-name" in parser.ids


async def test_pages_have_an_icon_served_by_the_platform(client, db):
    page = (await client.get("/login")).text
    assert '<link rel="icon" href="/static/favicon.svg"' in page
    legacy = await client.get("/favicon.ico")
    assert legacy.status_code == 301 and legacy.headers["location"] == "/static/favicon.svg"
    icon = await client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
