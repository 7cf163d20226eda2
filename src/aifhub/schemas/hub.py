"""Hugging Face Hub wire shapes: what huggingface_hub's HfApi reads from /api/models and
/api/datasets (camelCase names as the Hub spells them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Hub(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class HubLfs(_Hub):
    """A sibling's Git LFS pointer (every catalogue file is served as an LFS file)."""

    sha256: str
    size: int
    pointer_size: int = Field(alias="pointerSize")


class HubSibling(_Hub):
    """One file of a revision, as listed in a repo's info."""

    rfilename: str
    size: int
    blob_id: str = Field(alias="blobId")
    lfs: HubLfs | None = None


class HubRepoSummary(_Hub):
    """A repo in a listing (GET /api/models, /api/datasets)."""

    id: str
    author: str
    private: bool = False
    gated: Literal[False, "manual"] = False
    disabled: bool = False
    downloads: int = 0
    likes: int = 0
    tags: list[str] = []
    pipeline_tag: str | None = None
    library_name: str | None = None
    created_at: datetime = Field(alias="createdAt")
    last_modified: datetime = Field(alias="lastModified")
    card_data: dict[str, Any] | None = Field(default=None, alias="cardData")


class HubRepoInfo(HubRepoSummary):
    """One repo at one revision (GET /api/models/{id}[/revision/{rev}])."""

    sha: str
    siblings: list[HubSibling]


class HubTreeLfs(_Hub):
    """The LFS part of a tree entry."""

    oid: str
    size: int
    pointer_size: int = Field(alias="pointerSize")


class HubTreeEntry(_Hub):
    """A file or a folder of a revision's tree (GET /api/models/{id}/tree/{rev}/{path})."""

    type: Literal["file", "directory"]
    oid: str
    size: int
    path: str
    lfs: HubTreeLfs | None = None
