"""Recommendations for a project, and one search box across every source."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.bm25 import BM25Index
from aifhub.core.errors import InvalidInput
from aifhub.identity import get_project
from aifhub.identity.models import User
from aifhub.recommend import embeddings
from aifhub.recommend.candidates import Candidate, fetch_all
from aifhub.recommend.profile import ProjectProfile, build_profile
from aifhub.recommend.ranking import METHODS, Recommendation, rank

# What a project is shown, in this order (the catalogue's kinds appear once it registers).
KIND_ORDER = ("partition", "dataset", "model", "expert", "course", "incubator", "fund")


_INDEXES: OrderedDict[tuple[str, int], BM25Index] = OrderedDict()
_MAX_INDEXES = 16


def index_for(kind: str, candidates: list[Candidate]) -> BM25Index:
    """A BM25 index over these candidates, reused while their ids and texts are unchanged."""
    key = (kind, hash(tuple((c.id, c.text) for c in candidates)))
    index = _INDEXES.get(key)
    if index is None:
        index = BM25Index([c.text for c in candidates])
        _INDEXES[key] = index
        while len(_INDEXES) > _MAX_INDEXES:
            _INDEXES.popitem(last=False)
    else:
        _INDEXES.move_to_end(key)
    return index


@dataclass
class ProjectRecommendations:
    """A project's profile and its recommendations by kind."""

    profile: ProjectProfile
    method: str
    groups: dict[str, list[Recommendation]]


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise InvalidInput(f"Unknown ranking '{method}'; choose one of: {', '.join(METHODS)}.")
    if method == "embeddings" and not embeddings.available():
        raise InvalidInput(
            "The embeddings ranking is not installed here (pip install 'aifhub[embeddings]'); "
            "use bm25+rules."
        )


async def recommend_for_project(
    session: AsyncSession, actor: User, slug: str, *, method: str = "bm25+rules", limit: int = 5
) -> ProjectRecommendations:
    """Partitions, data, models, experts, courses, incubators and funds for a visible project."""
    _check_method(method)
    project = await get_project(session, actor, slug)
    profile = await build_profile(session, project)
    by_kind = await fetch_all(session, actor, set(KIND_ORDER))
    sim = embeddings.similarity if method == "embeddings" else None
    groups = {}
    for kind in KIND_ORDER:
        cands = by_kind.get(kind, [])
        if not cands:
            continue
        index = None if sim else index_for(kind, cands)
        if ranked := rank(profile, cands, method=method, limit=limit, index=index, similarity=sim):
            groups[kind] = ranked
    return ProjectRecommendations(profile, method, groups)


async def search_all(
    session: AsyncSession,
    actor: User,
    *,
    q: str,
    kinds: set[str] | None = None,
    limit: int = 5,
) -> dict[str, list[tuple[Candidate, float, list[str]]]]:
    """One search box: BM25 over every source (catalogue when present, experts, courses...)."""
    if len(q.strip()) < 2:
        raise InvalidInput("Type at least two characters to search.")
    out: dict[str, list[tuple[Candidate, float, list[str]]]] = {}
    for kind, cands in (await fetch_all(session, actor, kinds)).items():
        if kind == "partition":
            continue  # partitions are picked by rules, not searched by words
        index = index_for(kind, cands)
        hits = index.top(q, limit)
        if hits:
            out[kind] = [
                (cands[i], round(s, 3), index.matched_terms(q, cands[i].text)) for i, s in hits
            ]
    return out
