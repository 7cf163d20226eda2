"""Field types reused by every domain's schemas."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated

from babel import Locale
from pydantic import AfterValidator, StringConstraints

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"'{value}' is not a valid slug: use lowercase letters a-z, digits and inner "
            "dashes, e.g. 'my-lab-2'"
        )
    return value


Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=64),
    AfterValidator(_slug),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]


# CLDR territories that are not ISO 3166-1 countries ("ZZ" is "Unknown Region", "EU" the
# Union, "XA"/"XB" pseudo-locales...). Kosovo's XK stays: registries use it.
NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


@lru_cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes known to CLDR (plus XK, Kosovo)."""
    codes = [str(c) for c in Locale("en").territories]
    return frozenset(c for c in codes if len(c) == 2 and c.isalpha() and c not in NOT_COUNTRIES)


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in country_codes():
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code (e.g. FR, DE)")
    return code


Country = Annotated[str, AfterValidator(_country)]

_WEB_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def _web_url(value: str) -> str:
    if not _WEB_URL.match(value):
        raise ValueError(f"'{value[:80]}' is not a web address: write it as https://example.eu")
    return value


# An http(s) address with no spaces: refuses javascript:, data: and the like before a
# page renders it as a link.
WebUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=300), AfterValidator(_web_url)
]
