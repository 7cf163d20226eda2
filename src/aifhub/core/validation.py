"""Field types reused by every domain's schemas."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Annotated, Any

from babel import Locale
from fastapi import Request
from pydantic import AfterValidator, Field, StringConstraints

from aifhub.core.errors import InvalidInput

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


# The largest id a 32-bit INTEGER column holds: a larger number names no row, and PostgreSQL
# would refuse to even compare it.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID, description="An id (1 to 2^31-1)")]


def _nul_path(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_path(item, f"{path}.{key}" if path else str(key))
            if found is not None or (isinstance(key, str) and "\x00" in key):
                return found or path or str(key)
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_path(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


async def reject_nul_bytes(request: Request) -> None:
    """Refuse text with NUL characters anywhere in the query, the path or a JSON body (422).

    PostgreSQL cannot store them, and no name, description or script needs one.
    """
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if "\x00" in str(value) or "\x00" in name:
            raise InvalidInput(
                f"{name}: text must not contain NUL characters (\\u0000).",
                errors=[{"field": name, "message": "contains a NUL character"}],
            )
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()  # FastAPI has already read and cached it
        if b"\\u0000" not in body and b"\x00" not in body:
            return
        try:
            data = json.loads(body)
        except ValueError:
            return  # FastAPI answers malformed JSON itself
        field = _nul_path(data, "")
        if field is not None:
            raise InvalidInput(
                f"{field or 'body'}: text must not contain NUL characters (\\u0000).",
                errors=[{"field": field or None, "message": "contains a NUL character"}],
            )
