"""Recommendation and search endpoints of the SDK."""

from __future__ import annotations

from collections.abc import Iterable

from aifhub.client.base import Resource
from aifhub.schemas.recommend import RecommendationsRead, SearchRead


class Recommendations(Resource):
    """`client.recommend`: what the factory proposes to a project, and one search box."""

    def for_project(
        self, project: str, *, method: str = "bm25+rules", limit: int = 5
    ) -> RecommendationsRead:
        """Partitions, data, models, experts, courses, incubators and funds, with reasons."""
        params = {"method": method, "limit": limit}
        path = f"/projects/{project}/recommendations"
        return self._call("GET", path, RecommendationsRead, params=params)

    def search(self, q: str, *, kinds: Iterable[str] = (), limit: int = 5) -> SearchRead:
        """Search everything (catalogue, experts, courses, partners, articles) at once."""
        params = {"q": q, "kind": list(kinds) or None, "limit": limit}
        return self._call("GET", "/search", SearchRead, params=params)
