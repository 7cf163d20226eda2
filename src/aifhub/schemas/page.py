"""One page of a list: the shape every list endpoint answers with."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of items and the total count."""

    items: list[T]
    total: int
    limit: int
    offset: int
