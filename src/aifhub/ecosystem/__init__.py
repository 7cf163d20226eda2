"""The ecosystem domain.

This package is the domain's public face: other domains import only what it exports here
(the shared kernel, identity's models, excepted). Inside the domain, modules import each other
by their own path.
"""

from __future__ import annotations

from aifhub.ecosystem.partners import list_partners
from aifhub.ecosystem.training import list_courses, seat_counts

__all__ = [
    "list_courses",
    "list_partners",
    "seat_counts",
]
