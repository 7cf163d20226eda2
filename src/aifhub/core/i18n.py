"""Languages: the compiled gettext catalogues (English and French) and locale negotiation."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
SUPPORTED = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
LANG_COOKIE = "lang"


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
