"""Form fields carry their HTML attributes as attributes, never as escaped quote characters."""

from __future__ import annotations

from html.parser import HTMLParser


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            found = dict(attrs)
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
