"""What can be recommended: one small `Candidate` shape, and one adapter per source.

A source (experts, courses, partners, articles, partitions, the catalogue's datasets and
models) is an adapter listed in `ADAPTERS`: an object with a `kinds` tuple and
`async fetch(session, actor) -> list[Candidate]` returning only what the actor may see
(authorisation in the adapter's query). Rankings know nothing else. The recommend domain sits
above every source's domain, so the list is fixed here: nothing is added at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import resources
from aifhub.catalog import ranking_rows
from aifhub.ecosystem import list_courses, list_partners, seat_counts
from aifhub.identity.models import User
from aifhub.support import article_text, list_experts, published_articles, skill_text, skills


@dataclass(frozen=True)
class Candidate:
    """Anything that can be proposed to a project, reduced to what ranking needs."""

    kind: str  # partition, dataset, model, expert, course, incubator, fund, article
    id: str
    title: str
    text: str
    sectors: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


class Adapter(Protocol):
    """A source of candidates."""

    kinds: tuple[str, ...]

    async def fetch(self, session: AsyncSession, actor: User | None) -> list[Candidate]:
        """Candidates this actor may see (None: the public directory)."""
        ...


class ExpertAdapter:
    """Experts with their skills, sectors, languages and current load."""

    kinds: tuple[str, ...] = ("expert",)

    async def fetch(self, session: AsyncSession, actor: User | None) -> list[Candidate]:

        known = skills()
        out = []
        for p, u, load in await list_experts(session, available_only=True):
            labels = [known[s].label for s in p.skills if s in known]
            out.append(
                Candidate(
                    "expert",
                    str(u.id),
                    u.name,
                    f"{p.headline} {p.bio} {skill_text(p.skills)}",
                    tuple(p.sectors),
                    {
                        "skills": labels,
                        "languages": p.languages,
                        "load": load,
                        "capacity": p.capacity,
                    },
                )
            )
        return out


class CourseAdapter:
    """Courses with their next session that still has seats."""

    kinds: tuple[str, ...] = ("course",)

    async def fetch(self, session: AsyncSession, actor: User | None) -> list[Candidate]:

        rows = await list_courses(session)
        counts = await seat_counts(session, [s.id for _, ss in rows for s in ss])
        out = []
        for c, sessions in rows:
            nxt: datetime | None = None
            for s in sessions:
                if counts[s.id]["enrolled"] < s.seats:
                    nxt = s.starts_at
                    break
            out.append(
                Candidate(
                    "course",
                    c.slug,
                    c.title,
                    f"{c.title} {c.summary} {' '.join(c.topics)} {c.level}",
                    tuple(c.sectors),
                    {
                        "level": c.level,
                        "next_session": nxt.isoformat() if nxt else None,
                        "sessions": len(sessions),
                    },
                )
            )
        return out


class PartnerAdapter:
    """Incubators and funds of the directory."""

    kinds: tuple[str, ...] = ("incubator", "fund")

    async def fetch(self, session: AsyncSession, actor: User | None) -> list[Candidate]:

        return [
            Candidate(
                p.kind,
                p.slug,
                p.name,
                f"{p.name} {p.description} {p.programme} {' '.join(p.stages)}",
                tuple(p.sectors),
                {
                    "startups_only": p.startups_only,
                    "countries": p.countries or [p.country],
                    "stages": p.stages,
                    "ticket_min_eur": p.ticket_min_eur,
                    "ticket_max_eur": p.ticket_max_eur,
                    "location": p.location,
                },
            )
            for p in await list_partners(session)
        ]


class ArticleAdapter:
    """Published knowledge-base articles (for the search box)."""

    kinds: tuple[str, ...] = ("article",)

    async def fetch(self, session: AsyncSession, actor: User | None) -> list[Candidate]:

        rows = await published_articles(session)
        return [
            Candidate("article", a.slug, a.title, article_text(a), (), {"category": a.category})
            for a in rows
        ]


class PartitionAdapter:
    """The site's enabled partitions, with the sizes the workload rules read."""

    kinds: tuple[str, ...] = ("partition",)

    async def fetch(self, session: AsyncSession, actor: User | None) -> list[Candidate]:
        return [partition_candidate(p) for p, _ in await resources.list_usable_partitions(session)]


def partition_candidate(p: Any) -> Candidate:
    """A partition as a candidate (also used by tests and the bench on plain objects)."""
    acc = p.accelerator or "cpu"
    return Candidate(
        "partition",
        p.key,
        p.key,
        f"{p.key} {acc} {'gpu' if p.accelerator else 'cpu'}",
        (),
        {
            "accelerator": p.accelerator,
            "gpus_per_node": p.gpus_per_node,
            "nodes": p.nodes,
            "mem_mb_per_node": p.mem_mb_per_node,
            "max_time_s": p.max_time_s,
            "charge_factor": str(p.charge_factor),
            "unit": p.unit,
        },
    )


class CatalogAdapter:
    """Datasets and models of the catalogue (their metadata is public; access is gated apart)."""

    kinds: tuple[str, ...] = ("dataset", "model")

    async def fetch(self, session: AsyncSession, actor: User | None) -> list[Candidate]:

        rows = await ranking_rows(session)
        return [
            Candidate(
                r.kind,
                r.slug,
                r.name,
                " ".join([r.name, r.summary, " ".join(r.tags or []), r.task or ""]),
                tuple(r.sectors or ()),
                {
                    "license": r.license,
                    "access_policy": r.access_policy,
                    "sovereignty": r.sovereignty,
                    "languages": list(r.languages or []),
                },
            )
            for r in rows
        ]


ADAPTERS: tuple[Adapter, ...] = (
    PartitionAdapter(),
    CatalogAdapter(),
    ExpertAdapter(),
    CourseAdapter(),
    PartnerAdapter(),
    ArticleAdapter(),
)


async def fetch_all(
    session: AsyncSession, actor: User | None, kinds: set[str] | None = None
) -> dict[str, list[Candidate]]:
    """Candidates of every registered source, by kind."""
    out: dict[str, list[Candidate]] = {}
    for adapter in ADAPTERS:
        if kinds is not None and not kinds & set(adapter.kinds):
            continue
        for c in await adapter.fetch(session, actor):
            if kinds is None or c.kind in kinds:
                out.setdefault(c.kind, []).append(c)
    return out
