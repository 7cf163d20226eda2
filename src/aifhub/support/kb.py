"""The knowledge base: articles written by the desk, suggested while a user types a ticket."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core import audit
from aifhub.core.bm25 import BM25Index
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, NotFound, PermissionDenied
from aifhub.identity.models import User
from aifhub.schemas import support as schemas
from aifhub.support.models import KbArticle
from aifhub.support.tickets import is_desk


def _require_desk(actor: User) -> None:
    if not is_desk(actor):
        raise PermissionDenied("Only the support desk writes knowledge-base articles.")


async def create_article(
    session: AsyncSession, actor: User, *, data: schemas.ArticleCreate
) -> KbArticle:
    """Write an article (support desk)."""
    _require_desk(actor)
    if await session.scalar(select(KbArticle.id).where(KbArticle.slug == data.slug)):
        raise Conflict(f"The article slug '{data.slug}' is taken; choose another.")
    article = KbArticle(**data.model_dump(mode="json"), updated_at=utcnow())
    session.add(article)
    await session.flush()
    await audit.record(session, "kb.create", "kb_article", article.slug)
    return article


async def update_article(
    session: AsyncSession, actor: User, slug: str, *, data: schemas.ArticleUpdate
) -> KbArticle:
    """Change an article (support desk)."""
    _require_desk(actor)
    article = await session.scalar(select(KbArticle).where(KbArticle.slug == slug))
    if article is None:
        raise NotFound(f"No article '{slug}'.")
    changes = data.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    for key, value in changes.items():
        setattr(article, key, value)
    article.updated_at = utcnow()
    await audit.record(session, "kb.update", "kb_article", slug, fields=sorted(changes))
    return article


def _visible(actor: User | None) -> Select[KbArticle]:
    query = select(KbArticle)
    if actor is None or not is_desk(actor):
        query = query.where(KbArticle.published.is_(True))
    return query


async def list_articles(session: AsyncSession, actor: User) -> list[KbArticle]:
    """Published articles (drafts too, for the desk)."""
    return list(await session.scalars(_visible(actor).order_by(KbArticle.title)))


async def get_article(session: AsyncSession, actor: User, slug: str) -> KbArticle:
    """One visible article."""
    article = await session.scalar(_visible(actor).where(KbArticle.slug == slug))
    if article is None:
        raise NotFound(f"No article '{slug}'.")
    return article


async def published_articles(session: AsyncSession) -> list[KbArticle]:
    """Every published article (what anyone may read)."""
    return list(await session.scalars(_visible(None)))


def article_text(a: KbArticle) -> str:
    """What article search matches: title (twice: it weighs more), tags, body."""
    return f"{a.title} {a.title} {' '.join(a.tags)} {a.category} {a.body}"


async def search_articles(
    session: AsyncSession, *, q: str, limit: int = 5
) -> list[tuple[KbArticle, float]]:
    """Published articles ranked by BM25 against what the user typed."""
    if len(q.strip()) < 3:
        return []
    articles = list(await session.scalars(select(KbArticle).where(KbArticle.published.is_(True))))
    index = BM25Index([article_text(a) for a in articles])
    return [(articles[i], round(s, 3)) for i, s in index.top(q, limit)]
