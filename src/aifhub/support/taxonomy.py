"""The skills taxonomy, shipped as data (skills.json): labels, related categories, keywords."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).resolve().parent / "skills.json"


@dataclass(frozen=True)
class Skill:
    """One skill of the taxonomy."""

    key: str
    label: str
    categories: tuple[str, ...]
    keywords: tuple[str, ...]


@lru_cache
def skills() -> dict[str, Skill]:
    """Every skill of the taxonomy, by key."""
    raw = json.loads(_DATA.read_text(encoding="utf-8"))
    return {
        key: Skill(key, v["label"], tuple(v["categories"]), tuple(v["keywords"]))
        for key, v in raw.items()
    }


def unknown_skills(keys: list[str]) -> list[str]:
    """The keys that are not in the taxonomy."""
    known = skills()
    return [k for k in keys if k not in known]


def skill_text(keys: list[str]) -> str:
    """Labels and keywords of these skills, as text to match against."""
    known = skills()
    parts = []
    for k in keys:
        if s := known.get(k):
            parts.append(s.label)
            parts.extend(s.keywords)
    return " ".join(parts)
