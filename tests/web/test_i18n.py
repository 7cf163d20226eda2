"""The French catalogue is complete, compiled, and covers every string of the pages."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from aifhub.core import i18n

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "src/aifhub/locale/fr/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "gettext": (2,), "ngettext": (1, 2)}


def _po():
    with PO.open("rb") as fh:
        return read_po(fh, locale="fr")


def test_every_msgid_has_a_french_translation():
    missing = [m.id for m in _po() if m.id and not (all(m.string) if m.pluralizable else m.string)]
    assert missing == []
    fuzzy = [m.id for m in _po() if m.id and m.fuzzy]
    assert fuzzy == []


def test_mo_is_compiled_from_the_po():
    po = _po()
    with MO.open("rb") as fh:
        mo = read_mo(fh)

    def key(m):
        return tuple(m.id) if isinstance(m.id, list | tuple) else m.id

    def value(m):
        return tuple(m.string) if isinstance(m.string, list | tuple) else m.string

    expected = {key(m): value(m) for m in po if m.id}
    compiled = {key(m): value(m) for m in mo if m.id}
    assert compiled == expected, "run: pybabel compile -d src/aifhub/locale -D messages"
    buf = io.BytesIO()
    write_mo(buf, po)  # what `pybabel compile` would write
    assert buf.getvalue() == MO.read_bytes()


def test_every_string_of_the_sources_is_in_the_catalogue():
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {
        msg
        for _file, _line, msg, _comments, _ctx in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS
        )
    }
    found = {m[0] if isinstance(m, tuple) and m[1] is None else m for m in found}
    known = {m.id for m in _po() if m.id}
    assert sorted(map(str, found - known)) == [], "run the extract/update steps of docs/web.md"


def test_negotiation_order():
    n = i18n.negotiate
    assert n(cookie="fr", user_locale="en", accept_language="en", default="en") == "fr"
    assert n(cookie=None, user_locale="fr", accept_language="en", default="en") == "fr"
    assert n(cookie="xx", user_locale=None, accept_language="de, fr-CA;q=0.8", default="en") == "fr"
    assert n(cookie=None, user_locale=None, accept_language="de", default="fr") == "fr"
    assert i18n.translations("fr").gettext("Sign in") == "Se connecter"
