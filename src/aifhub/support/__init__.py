"""The support domain.

This package is the domain's public face: other domains import only what it exports here
(the shared kernel, identity's models, excepted). Inside the domain, modules import each other
by their own path.
"""

from __future__ import annotations

from aifhub.support.experts import list_experts
from aifhub.support.kb import article_text, published_articles
from aifhub.support.taxonomy import skill_text, skills
from aifhub.support.tickets import list_tickets

__all__ = [
    "article_text",
    "list_experts",
    "list_tickets",
    "published_articles",
    "skill_text",
    "skills",
]
