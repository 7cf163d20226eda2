"""Field types reused by every domain's schemas."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from babel import Locale
from pydantic import AfterValidator, StringConstraints

Slug = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=2,
        max_length=64,
        pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]


@lru_cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes known to CLDR."""
    return frozenset(c for c in Locale("en").territories if len(c) == 2 and c.isalpha())


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in country_codes():
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code (e.g. FR, DE)")
    return code


Country = Annotated[str, AfterValidator(_country)]
