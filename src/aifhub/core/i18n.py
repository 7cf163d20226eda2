"""Languages: the compiled gettext catalogues (English and French) and locale negotiation."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import IO

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from aifhub.schemas.enums.labels import all_labels

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
SUPPORTED = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
LANG_COOKIE = "lang"
log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


@lru_cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of a locale (English is the source language: no catalogue)."""
    if locale not in SUPPORTED or locale == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def supported(value: str | None) -> str | None:
    """The supported locale named by a code such as 'fr', 'fr-FR' or 'fr_CA', else None."""
    if not value:
        return None
    code = value.strip().replace("-", "_").split("_")[0].lower()
    return code if code in SUPPORTED else None


def from_accept_language(header: str | None) -> str | None:
    """The best supported locale of an Accept-Language header, else None."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        code = supported(tag)
        if code and q > 0:
            weighted.append((-q, index, code))
    return min(weighted)[2] if weighted else None


def negotiate(
    *, cookie: str | None, user_locale: str | None, accept_language: str | None, default: str
) -> str:
    """The page language: the switch's cookie, else the user's choice, else the browser's."""
    return (
        supported(cookie)
        or supported(user_locale)
        or from_accept_language(accept_language)
        or supported(default)
        or "en"
    )


@lru_cache
def babel_locale(locale: str) -> Locale:
    """The Babel locale (dates, numbers) of a supported locale."""
    return Locale.parse(locale)


# ---------------------------------------------------------------- labels of values


class Text(str):
    """An English message that knows its msgid and variables: it reads as the English text
    (API, CLI, logs) and is translated where a page shows it (the `label` filter).

    `Text(N_("only %(n)s GPUs"), n=4)`; a variable that is itself a Text or an enum member is
    shown translated too (its label), a number or a date the locale's way; other variables
    are data, shown as they are (variables are `%(name)s`: the page formats them).
    """

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, **params: object) -> Text:
        self = super().__new__(cls, msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params
        return self

    def in_locale(self, locale: str) -> str:
        """This message in a locale."""
        text = translations(locale).gettext(self.msgid)
        if not self.params:
            return text
        return text % {k: _shown(v, locale) for k, v in self.params.items()}


def _shown(value: object, locale: str) -> object:
    # A variable of a Text as a page shows it: labels translated, numbers and dates localised.
    if isinstance(value, Text | Enum):
        return label(value, locale)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return format_decimal(value, locale=locale)
    if isinstance(value, date):
        return format_date(value, "medium", locale=locale)
    return value


@lru_cache
def _enum_tables() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    # {enum class name: {value: msgid}} and {value: msgid} (the first enum declaring it wins).
    by_kind: dict[str, dict[str, str]] = {}
    by_value: dict[str, str] = {}
    for enum, table in all_labels().items():
        by_kind[enum.__name__] = {member.value: text for member, text in table.items()}
        for member, text in table.items():
            by_value.setdefault(member.value, text)
    return by_kind, by_value


_unlabelled: set[tuple[str | None, str]] = set()


def humanised(value: str) -> str:
    """A value without a label, made readable: 'waiting_on_user' -> 'waiting on user'."""
    return value.replace("_", " ")


def label(value: object, locale: str, kind: str | None = None) -> str:
    """The label of a value in a locale: an enum member, or a value of the enum named `kind`
    (such as 'ProjectRole', for values several enums share), or a Text. A value without a
    label is shown humanised and logged once."""
    if value is None:
        return ""
    if isinstance(value, Text):
        return value.in_locale(locale)
    by_kind, by_value = _enum_tables()
    if isinstance(value, Enum):
        kind = kind or type(value).__name__
        value = value.value
    if not isinstance(value, str):
        return str(value)
    msgid = by_kind.get(kind, {}).get(value) if kind else by_value.get(value)
    if msgid is None:
        if (kind, value) not in _unlabelled:
            _unlabelled.add((kind, value))
            log.warning("no label for the value %r (%s)", value, kind or "any enum")
        return humanised(value)
    return translations(locale).gettext(msgid)


def label_choices(kind: str, locale: str) -> list[tuple[str, str]]:
    """(value, label) of every member of the enum named `kind`, for a select."""
    by_kind, _ = _enum_tables()
    catalogue = translations(locale)
    return [(value, catalogue.gettext(msgid)) for value, msgid in by_kind[kind].items()]


def extract_toml(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: dict[str, str]
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extractor of a TOML file shipped with the platform (babel.cfg): the `name` and
    `description` of each entry of an array of tables (the built-in access modes). The pages
    show them through `_()`, so a site file's own texts stay as written."""
    fields = tuple(f.strip() for f in options.get("fields", "name, description").split(","))
    for lineno, line in enumerate(fileobj.read().decode("utf-8").splitlines(), start=1):
        key, sep, value = line.partition("=")
        if sep and key.strip() in fields and value.strip().startswith('"'):
            text = tomllib.loads(f"v = {value.strip()}")["v"]
            if isinstance(text, str) and text:
                yield lineno, None, text, []
