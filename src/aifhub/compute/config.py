"""The site file's `[compute]` table: the compute worker's timings and batch sizes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from aifhub.core.config import SiteConfig


class ComputeConfig(BaseModel):
    """The `[compute]` table: worker timings."""

    model_config = ConfigDict(extra="forbid")

    # A job left in `submitting` longer than this is reconciled with the backend.
    delivery_lease_s: int = Field(30, ge=1)
    delivery_batch: int = Field(50, ge=1)
    # Accounting is re-read this far back each round (late records); duplicates are ignored.
    accounting_overlap_s: int = Field(600, ge=0)
    poll_batch: int = Field(500, ge=1)
    # Logins refused on every cluster (on top of each cluster's `logins.reserved`).
    reserved_logins: list[str] = []


def compute_config(site: SiteConfig) -> ComputeConfig:
    """The site's `[compute]` table (defaults when absent)."""
    return ComputeConfig.model_validate(site.section("compute") or {})
