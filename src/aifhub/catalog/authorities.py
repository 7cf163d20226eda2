"""Language and country codes to the EU Publications Office authority tables.

The language authority (publications.europa.eu/resource/authority/language) names a language
by its ISO 639-3 code in upper case (FRA, DEU, ZHO...), which for every ISO 639-1 language is its
ISO 639-2/T code. The table below covers all 183 ISO 639-1 codes (the deprecated "sh" aside);
a test checks it against the CLDR aliases that babel ships.
"""

from __future__ import annotations

from functools import lru_cache

from babel.core import get_global

AUTHORITY = "http://publications.europa.eu/resource/authority"
# ISO 3166 alpha-3 codes of countries that no longer exist, which CLDR keeps as aliases.
RETIRED_ALPHA3 = frozenset({"BUR", "ZAR", "DDR", "FXX", "TMP", "YMD"})

# ISO 639-1 -> ISO 639-2/T (= ISO 639-3 for these languages).
ISO_639_1: dict[str, str] = {
    "aa": "aar", "ab": "abk", "ae": "ave", "af": "afr", "ak": "aka", "am": "amh", "an": "arg",
    "ar": "ara", "as": "asm", "av": "ava", "ay": "aym", "az": "aze", "ba": "bak", "be": "bel",
    "bg": "bul", "bi": "bis", "bm": "bam", "bn": "ben", "bo": "bod", "br": "bre", "bs": "bos",
    "ca": "cat", "ce": "che", "ch": "cha", "co": "cos", "cr": "cre", "cs": "ces", "cu": "chu",
    "cv": "chv", "cy": "cym", "da": "dan", "de": "deu", "dv": "div", "dz": "dzo", "ee": "ewe",
    "el": "ell", "en": "eng", "eo": "epo", "es": "spa", "et": "est", "eu": "eus", "fa": "fas",
    "ff": "ful", "fi": "fin", "fj": "fij", "fo": "fao", "fr": "fra", "fy": "fry", "ga": "gle",
    "gd": "gla", "gl": "glg", "gn": "grn", "gu": "guj", "gv": "glv", "ha": "hau", "he": "heb",
    "hi": "hin", "ho": "hmo", "hr": "hrv", "ht": "hat", "hu": "hun", "hy": "hye", "hz": "her",
    "ia": "ina", "id": "ind", "ie": "ile", "ig": "ibo", "ii": "iii", "ik": "ipk", "io": "ido",
    "is": "isl", "it": "ita", "iu": "iku", "ja": "jpn", "jv": "jav", "ka": "kat", "kg": "kon",
    "ki": "kik", "kj": "kua", "kk": "kaz", "kl": "kal", "km": "khm", "kn": "kan", "ko": "kor",
    "kr": "kau", "ks": "kas", "ku": "kur", "kv": "kom", "kw": "cor", "ky": "kir", "la": "lat",
    "lb": "ltz", "lg": "lug", "li": "lim", "ln": "lin", "lo": "lao", "lt": "lit", "lu": "lub",
    "lv": "lav", "mg": "mlg", "mh": "mah", "mi": "mri", "mk": "mkd", "ml": "mal", "mn": "mon",
    "mr": "mar", "ms": "msa", "mt": "mlt", "my": "mya", "na": "nau", "nb": "nob", "nd": "nde",
    "ne": "nep", "ng": "ndo", "nl": "nld", "nn": "nno", "no": "nor", "nr": "nbl", "nv": "nav",
    "ny": "nya", "oc": "oci", "oj": "oji", "om": "orm", "or": "ori", "os": "oss", "pa": "pan",
    "pi": "pli", "pl": "pol", "ps": "pus", "pt": "por", "qu": "que", "rm": "roh", "rn": "run",
    "ro": "ron", "ru": "rus", "rw": "kin", "sa": "san", "sc": "srd", "sd": "snd", "se": "sme",
    "sg": "sag", "si": "sin", "sk": "slk", "sl": "slv", "sm": "smo", "sn": "sna", "so": "som",
    "sq": "sqi", "sr": "srp", "ss": "ssw", "st": "sot", "su": "sun", "sv": "swe", "sw": "swa",
    "ta": "tam", "te": "tel", "tg": "tgk", "th": "tha", "ti": "tir", "tk": "tuk", "tl": "tgl",
    "tn": "tsn", "to": "ton", "tr": "tur", "ts": "tso", "tt": "tat", "tw": "twi", "ty": "tah",
    "ug": "uig", "uk": "ukr", "ur": "urd", "uz": "uzb", "ve": "ven", "vi": "vie", "vo": "vol",
    "wa": "wln", "wo": "wol", "xh": "xho", "yi": "yid", "yo": "yor", "za": "zha", "zh": "zho",
    "zu": "zul",}  # fmt: skip

# ISO 639-2/B (bibliographic) codes whose terminology code differs.
BIBLIOGRAPHIC: dict[str, str] = {
    "alb": "sqi", "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho", "cze": "ces",
    "dut": "nld", "fre": "fra", "geo": "kat", "ger": "deu", "gre": "ell", "ice": "isl",
    "mac": "mkd", "mao": "mri", "may": "msa", "per": "fas", "rum": "ron", "slo": "slk",
    "tib": "bod", "wel": "cym",
}  # fmt: skip


def iso_639_3(tag: str) -> str | None:
    """The ISO 639-3 code of a language tag ("fr", "fr-CA", "fra", "fre"), None if unknown."""
    primary = tag.strip().lower().split("-", 1)[0].split("_", 1)[0]
    if len(primary) == 2:
        return ISO_639_1.get(primary)
    if len(primary) == 3 and primary.isascii() and primary.isalpha():
        return BIBLIOGRAPHIC.get(primary, primary)
    return None


def language_uri(tag: str) -> str | None:
    """The EU language authority URI of a language tag, None when the tag is no ISO 639 code."""
    code = iso_639_3(tag)
    return f"{AUTHORITY}/language/{code.upper()}" if code else None


@lru_cache(maxsize=1)
def _alpha3() -> dict[str, str]:
    aliases = get_global("territory_aliases")
    return {
        targets[0]: code
        for code, targets in aliases.items()
        if len(code) == 3
        and code.isalpha()
        and code not in RETIRED_ALPHA3
        and len(targets) == 1
        and len(targets[0]) == 2
    }


def country_uri(alpha2: str) -> str:
    """The EU country authority URI of an ISO 3166-1 alpha-2 code (named there by alpha-3)."""
    code = alpha2.upper()
    return f"{AUTHORITY}/country/{_alpha3().get(code, code)}"
