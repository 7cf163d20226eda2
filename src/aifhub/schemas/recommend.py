"""Recommendation and search responses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class RecommendedItemRead(BaseModel):
    kind: str
    id: str
    title: str
    score: float
    reasons: list[str]
    meta: dict[str, Any]


class WorkloadRead(BaseModel):
    gpu_need: str
    vendor: str | None
    evidence: list[str]


class RecommendationsRead(BaseModel):
    project: str
    sector: str
    method: str
    workload: WorkloadRead
    groups: dict[str, list[RecommendedItemRead]]


class SearchRead(BaseModel):
    q: str
    groups: dict[str, list[RecommendedItemRead]]
