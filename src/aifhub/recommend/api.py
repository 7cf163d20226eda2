"""Recommendation and search endpoints under /api/v1."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from aifhub.core.db import DbSession
from aifhub.identity import CurrentUser
from aifhub.recommend import service
from aifhub.recommend.ranking import matches
from aifhub.schemas import recommend as schemas

router = APIRouter(tags=["recommend"])


@router.get("/projects/{slug}/recommendations")
async def recommendations(
    db: DbSession,
    user: CurrentUser,
    slug: str,
    method: str = "bm25+rules",
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> schemas.RecommendationsRead:
    """Partitions, data, models, experts, courses, incubators and funds for a project, with why."""
    rec = await service.recommend_for_project(db, user, slug, method=method, limit=limit)
    w = rec.profile.workload
    return schemas.RecommendationsRead(
        project=rec.profile.slug,
        sector=rec.profile.sector,
        method=rec.method,
        workload=schemas.WorkloadRead(gpu_need=w.gpu_need, vendor=w.vendor, evidence=w.evidence),
        groups={
            kind: [
                schemas.RecommendedItemRead(
                    kind=r.candidate.kind,
                    id=r.candidate.id,
                    title=r.candidate.title,
                    score=r.score,
                    reasons=r.reasons,
                    meta=r.candidate.meta,
                )
                for r in recs
            ]
            for kind, recs in rec.groups.items()
        },
    )


@router.get("/search", operation_id="search_everything")
async def search(
    db: DbSession,
    user: CurrentUser,
    q: str,
    kind: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> schemas.SearchRead:
    """One search box across the catalogue (when present), experts, courses, partners, articles."""
    groups = await service.search_all(db, user, q=q, kinds=set(kind) if kind else None, limit=limit)
    return schemas.SearchRead(
        q=q,
        groups={
            k: [
                schemas.RecommendedItemRead(
                    kind=c.kind,
                    id=c.id,
                    title=c.title,
                    score=s,
                    reasons=[matches(terms[:4])],
                    meta=c.meta,
                )
                for c, s, terms in hits
            ]
            for k, hits in groups.items()
        },
    )
