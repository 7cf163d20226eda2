"""Catalogue search: full text plus facets, on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

The full-text index is kept by the database: on SQLite the FTS5 table `catalog_search`
(external content = catalog_assets.search_text) is maintained by triggers, on PostgreSQL a
generated column catalog_search_vector = to_tsvector('simple', search_text) with a GIN
index serves the @@ queries and the ranking. Both are created by
the catalogue's migration. The service writes search_text; the database does the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    column,
    exists,
    func,
    literal,
    literal_column,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog.assets import has_published_version
from aifhub.catalog.models import Asset
from aifhub.identity.models import Organisation
from aifhub.schemas import catalog as schemas

SORTS = ("relevance", "name", "updated", "downloads")
SCALAR_FACETS = ("kind", "task", "license", "access_policy", "sovereignty")
LIST_FACETS = {"language": "languages", "sector": "sectors"}
FACET_SIZE = 20
TOTAL_CAP = 10_000
FACET_SAMPLE = 5_000
RANK_WINDOW = 5_000


@dataclass(frozen=True)
class SearchFilters:
    """Facet filters; None means any."""

    kind: str | None = None
    task: str | None = None
    license: str | None = None
    language: str | None = None
    sector: str | None = None
    access_policy: str | None = None
    sovereignty: str | None = None
    organisation: str | None = None


def _tokens(q: str) -> list[str]:
    return re.findall(r"\w+", q.lower())[:12]


def _fts_query(tokens: list[str]) -> str:
    """An FTS5 query: every token quoted (no operators from users), the last one a prefix."""
    return (" ".join(f'"{t}"' for t in tokens[:-1]) + f' "{tokens[-1]}"*').strip()


def _elements(dialect: str, col: Any) -> Any:
    fn = func.json_each if dialect == "sqlite" else func.json_array_elements_text
    return fn(col).table_valued("value")


def _base(
    dialect: str, q: str | None, f: SearchFilters, *, ranked: bool
) -> tuple[Select[Any], Any]:
    # Only assets with a published version are listed (drafts stay with their organisation).
    query: Select[Any] = select(Asset.id).where(has_published_version())
    rank: Any = None
    tokens = _tokens(q or "")
    if tokens:
        if dialect == "sqlite":
            match = _fts_query(tokens)
            cols = "rowid AS rowid" + (", bm25(catalog_search) AS rank" if ranked else "")
            fts = text(f"SELECT {cols} FROM catalog_search WHERE catalog_search MATCH :fts")
            fts = fts.bindparams(fts=match)
            typed = [column("rowid", Integer)] + ([column("rank", Float)] if ranked else [])
            sub = fts.columns(*typed).subquery("fts")
            query = query.join(sub, sub.c.rowid == Asset.id)
            rank = sub.c.rank.asc() if ranked else None  # bm25: lower is better
        else:
            tsq = " & ".join(tokens[:-1] + [f"{tokens[-1]}:*"])
            vector: Any = literal_column("catalog_assets.catalog_search_vector")
            tsquery = func.to_tsquery(literal("simple").cast(REGCONFIG), tsq)
            query = query.where(vector.op("@@")(tsquery))
            rank = func.ts_rank(vector, tsquery).desc() if ranked else None
    for name in SCALAR_FACETS:
        value = getattr(f, name)
        if value:
            query = query.where(getattr(Asset, name) == value)
    for name, attr in LIST_FACETS.items():
        value = getattr(f, name)
        if value:
            el = _elements(dialect, getattr(Asset, attr))
            match_el = select(literal(1)).select_from(el).where(el.c.value == value)
            query = query.where(exists(match_el))
    if f.organisation:
        query = query.where(
            Asset.org_id
            == select(Organisation.id).where(Organisation.slug == f.organisation).scalar_subquery()
        )
    return query, rank


async def search_assets(
    session: AsyncSession,
    *,
    q: str | None = None,
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    limit: int = 20,
    offset: int = 0,
    facets: bool = True,
) -> schemas.SearchResult:
    """Find assets by words and facets; counts per facet value come with the page.

    The total is exact up to TOTAL_CAP matches ("10,000+" beyond); facet counts are exact
    up to FACET_SAMPLE matches and counted over the first FACET_SAMPLE beyond (flagged), so
    a query's cost stays bounded however many assets match.
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    f = filters or SearchFilters()
    ranked, rank = _base(dialect, q, f, ranked=sort == "relevance")
    order: list[Any]
    if sort == "relevance" and rank is not None:
        order = [rank, Asset.id]
    elif sort == "name":
        order = [Asset.name, Asset.id]
    elif sort == "downloads":
        order = [Asset.downloads.desc(), Asset.id.desc()]
    else:
        order = [Asset.updated_at.desc(), Asset.id.desc()]
    tokens = _tokens(q or "")
    plain, _ = _base(dialect, q, f, ranked=False)
    if dialect == "sqlite" and tokens and rank is not None and f == SearchFilters():
        # Words only: let FTS5 keep the top hits itself instead of joining every match.
        top = text(
            "SELECT rowid FROM catalog_search WHERE catalog_search MATCH :fts "
            "AND rowid IN (SELECT asset_id FROM catalog_versions WHERE state = 'published') "
            "ORDER BY bm25(catalog_search), rowid LIMIT :limit OFFSET :offset"
        ).bindparams(fts=_fts_query(tokens), limit=limit, offset=offset)
        ids = list(await session.scalars(top))
    elif dialect == "postgresql" and tokens and rank is not None:
        # ts_rank over every match of a common word costs seconds at a million assets:
        # rank within the first RANK_WINDOW matches (exact whenever fewer match).
        window = plain.limit(max(RANK_WINDOW, offset + limit)).subquery()
        ranked_window = (
            select(Asset.id)
            .join(window, window.c.id == Asset.id)
            .order_by(rank, Asset.id)
            .limit(limit)
            .offset(offset)
        )
        ids = list(await session.scalars(ranked_window))
    else:
        ids = list(await session.scalars(ranked.order_by(*order).limit(limit).offset(offset)))
    rows = (
        (
            await session.execute(
                select(Asset, Organisation.slug)
                .join(Organisation, Organisation.id == Asset.org_id)
                .where(Asset.id.in_(ids))
            )
        ).all()
        if ids
        else []
    )
    by_id = {a.id: (a, org) for a, org in rows}
    items = [_hit(*by_id[i]) for i in ids if i in by_id]
    capped = plain.limit(TOTAL_CAP + 1).subquery()
    total = int(await session.scalar(select(func.count()).select_from(capped)) or 0)
    facet_counts: dict[str, list[schemas.Facet]] = {}
    facets_exact = True
    if facets:
        facet_counts, facets_exact = await _facets(session, dialect, plain, total)
    return schemas.SearchResult(
        items=items,
        total=min(total, TOTAL_CAP),
        total_exact=total <= TOTAL_CAP,
        limit=limit,
        offset=offset,
        facets=facet_counts,
        facets_exact=facets_exact,
    )


def _hit(a: Asset, org: str) -> schemas.AssetHit:
    return schemas.AssetHit(
        slug=a.slug,
        kind=a.kind,
        name=a.name,
        summary=a.summary,
        organisation=org,
        license=a.license,
        task=a.task,
        languages=list(a.languages or []),
        access_policy=a.access_policy,
        sovereignty=a.sovereignty,
        downloads=a.downloads,
        updated_at=a.updated_at,
    )


async def _facets(
    session: AsyncSession, dialect: str, plain: Select[Any], total: int
) -> tuple[dict[str, list[schemas.Facet]], bool]:
    # One statement: the first FACET_SAMPLE matches as a CTE (materialised once), then
    # a GROUP BY per facet, UNION ALL. Its cost is bounded by the sample, not by the catalogue.
    ids = plain.limit(FACET_SAMPLE).subquery()
    cols = [getattr(Asset, n) for n in SCALAR_FACETS] + [
        getattr(Asset, a) for a in LIST_FACETS.values()
    ]
    m = select(*cols).join(ids, ids.c.id == Asset.id).cte("m")
    parts: list[Any] = [
        select(literal("_rows").label("facet"), literal("").label("value"), func.count())
    ]
    parts[0] = parts[0].select_from(m)
    for name in SCALAR_FACETS:
        col = m.c[name]
        parts.append(
            select(literal(name), func.cast(col, String), func.count())
            .where(col.is_not(None))
            .group_by(col)
        )
    for name, attr in LIST_FACETS.items():
        el = _elements(dialect, m.c[attr])
        parts.append(
            select(literal(name), func.cast(el.c.value, String), func.count())
            .select_from(m)
            .join(el, true())
            .group_by(el.c.value)
        )
    rows = (await session.execute(union_all(*parts))).all()
    counts: dict[str, list[tuple[str, int]]] = {n: [] for n in (*SCALAR_FACETS, *LIST_FACETS)}
    matched = 0
    for facet, value, n in rows:
        if facet == "_rows":
            matched = int(n)
        else:
            counts[facet].append((str(value), int(n)))
    out = {
        name: [
            schemas.Facet(value=v, count=c)
            for v, c in sorted(pairs, key=lambda kv: (-kv[1], kv[0]))[:FACET_SIZE]
        ]
        for name, pairs in counts.items()
    }
    return out, matched >= total


async def ranking_rows(session: AsyncSession) -> list[Any]:
    """What recommendations rank, for every asset: only those columns (cards can be long)."""
    rows = await session.execute(
        select(
            Asset.kind, Asset.slug, Asset.name, Asset.summary, Asset.tags, Asset.task,
            Asset.sectors, Asset.license, Asset.access_policy, Asset.sovereignty, Asset.languages,
        )
    )  # fmt: skip
    return list(rows.all())
