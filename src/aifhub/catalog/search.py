"""Catalogue search: full text plus facets, on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

The full-text index is kept by the database: on SQLite the FTS5 table `catalog_search`
(external content = catalog_assets.search_text) is maintained by triggers, on PostgreSQL a
GIN index on to_tsvector('simple', search_text) serves the @@ queries. Both are created by
the catalogue's migration. The service writes search_text; the database does the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, Select, column, exists, func, literal, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.catalog import schemas
from aifhub.catalog.models import Asset
from aifhub.identity.models import Organisation

SORTS = ("relevance", "name", "updated", "downloads")
SCALAR_FACETS = ("kind", "task", "license", "access_policy", "sovereignty")
LIST_FACETS = {"language": "languages", "sector": "sectors"}
FACET_SIZE = 20


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


def _elements(dialect: str, col: Any) -> Any:
    fn = func.json_each if dialect == "sqlite" else func.json_array_elements_text
    return fn(col).table_valued("value")


def text_type() -> Any:
    from sqlalchemy.dialects.postgresql import REGCONFIG

    return REGCONFIG


def _base(dialect: str, q: str | None, f: SearchFilters) -> tuple[Select[Any], Any]:
    query: Select[Any] = select(Asset.id)
    rank: Any = None
    tokens = _tokens(q or "")
    if tokens:
        if dialect == "sqlite":
            match = " ".join(f'"{t}"' for t in tokens[:-1]) + f' "{tokens[-1]}"*'
            fts = (
                text(
                    "SELECT rowid AS rowid, bm25(catalog_search) AS rank FROM catalog_search "
                    "WHERE catalog_search MATCH :fts"
                )
                .bindparams(fts=match.strip())
                .columns(column("rowid", Integer), column("rank", Float))
                .subquery("fts")
            )
            query = query.join(fts, fts.c.rowid == Asset.id)
            rank = fts.c.rank.asc()
        else:
            tsq = " & ".join(tokens[:-1] + [f"{tokens[-1]}:*"])
            vector = func.to_tsvector(literal("simple").cast(text_type()), Asset.search_text)
            tsquery = func.to_tsquery(literal("simple").cast(text_type()), tsq)
            query = query.where(vector.op("@@")(tsquery))
            rank = func.ts_rank(vector, tsquery).desc()
    for name in SCALAR_FACETS:
        value = getattr(f, name)
        if value:
            query = query.where(getattr(Asset, name) == value)
    for name, attr in LIST_FACETS.items():
        value = getattr(f, name)
        if value:
            el = _elements(dialect, getattr(Asset, attr))
            query = query.where(
                exists(select(literal(1)).select_from(el).where(el.c.value == value))
            )
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
    """Find assets by words and facets; counts per facet value come with the page."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    f = filters or SearchFilters()
    base, rank = _base(dialect, q, f)
    order: list[Any]
    if sort == "relevance" and rank is not None:
        order = [rank, Asset.id]
    elif sort == "name":
        order = [Asset.name, Asset.id]
    elif sort == "downloads":
        order = [Asset.downloads.desc(), Asset.id.desc()]
    else:
        order = [Asset.updated_at.desc(), Asset.id.desc()]
    page_ids = base.order_by(*order).limit(limit).offset(offset)
    rows = (
        await session.execute(
            select(Asset, Organisation.slug)
            .join(Organisation, Organisation.id == Asset.org_id)
            .where(Asset.id.in_(page_ids.scalar_subquery()))
        )
    ).all()
    by_id = {a.id: (a, org) for a, org in rows}
    ordered_ids = list(await session.scalars(page_ids))
    items = [_hit(*by_id[i]) for i in ordered_ids if i in by_id]
    total = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    facet_counts = await _facets(session, dialect, base) if facets else {}
    return schemas.SearchResult(
        items=items, total=total, limit=limit, offset=offset, facets=facet_counts
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
    session: AsyncSession, dialect: str, base: Select[Any]
) -> dict[str, list[schemas.Facet]]:
    ids = base.with_only_columns(Asset.id).subquery()
    out: dict[str, list[schemas.Facet]] = {}
    for name in SCALAR_FACETS:
        col = getattr(Asset, name)
        n = func.count().label("n")
        rows = await session.execute(
            select(col, n)
            .join(ids, ids.c.id == Asset.id)
            .where(col.is_not(None))
            .group_by(col)
            .order_by(n.desc(), col)
            .limit(FACET_SIZE)
        )
        out[name] = [schemas.Facet(value=str(v), count=c) for v, c in rows.all()]
    for name, attr in LIST_FACETS.items():
        el = _elements(dialect, getattr(Asset, attr))
        n = func.count().label("n")
        rows = await session.execute(
            select(el.c.value, n)
            .select_from(Asset)
            .join(ids, ids.c.id == Asset.id)
            .join(el, true())
            .group_by(el.c.value)
            .order_by(n.desc(), el.c.value)
            .limit(FACET_SIZE)
        )
        out[name] = [schemas.Facet(value=str(v), count=c) for v, c in rows.all()]
    return out
