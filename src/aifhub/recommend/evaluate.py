"""Precision@k of a ranking on a labelled set (tests/recommend/labelled.json has the format)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import mean
from typing import Any

from aifhub.recommend.candidates import Candidate
from aifhub.recommend.profile import ProjectProfile, profile_from_text
from aifhub.recommend.ranking import precision_at_k, rank


def load_labelled(path: Path) -> tuple[list[Candidate], list[tuple[ProjectProfile, set[str]]]]:
    """Candidates and (profile, relevant ids) pairs from a labelled file."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    cands = [
        Candidate(
            c["kind"],
            c["id"],
            c["title"],
            f"{c['title']} {c['text']}",
            tuple(c.get("sectors", [])),
            c.get("meta", {}),
        )
        for c in data["candidates"]
    ]
    projects = [
        (
            profile_from_text(
                slug=p["slug"],
                name=p["name"],
                sector=p["sector"],
                description=p["description"],
                org_kind=p.get("org_kind"),
                org_country=p.get("org_country"),
            ),
            set(p["relevant"]),
        )
        for p in data["projects"]
    ]
    return cands, projects


def mean_precision(
    candidates: Sequence[Candidate],
    projects: Sequence[tuple[ProjectProfile, set[str]]],
    *,
    method: str,
    k: int = 5,
    similarity: Callable[[str, Sequence[Candidate]], list[float]] | None = None,
) -> tuple[float, dict[str, float]]:
    """Mean precision@k over the projects, and each project's value."""
    per: dict[str, float] = {}
    for profile, relevant in projects:
        ranked = rank(profile, candidates, method=method, limit=k, similarity=similarity)
        per[profile.slug] = precision_at_k([r.candidate.id for r in ranked], relevant, k)
    return mean(per.values()), per
