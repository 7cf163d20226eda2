"""Offset pagination shared by every list endpoint (the Page shape: aifhub.schemas.page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel

# Beyond this no list has items; databases refuse offsets past 2^63-1 with an error.
MAX_OFFSET = 2**31 - 1


class PageParams(BaseModel):
    """Which slice of a list to return."""

    limit: int = 50
    offset: int = 0


def _page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Pagination = Annotated[PageParams, Depends(_page_params)]
