"""Request checks of the server: path ids and NUL bytes (field types: aifhub.schemas.fields)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Request
from pydantic import Field

from aifhub.core.errors import InvalidInput

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
