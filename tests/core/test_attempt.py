"""`attempt`: a refused service call leaves nothing, the rest of the request stays usable."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from aifhub.core.db import attempt, make_sessionmaker
from aifhub.core.errors import AppError, Conflict
from aifhub.identity import service
from aifhub.identity.models import Organisation
from aifhub.schemas import identity as schemas

from ..factories import make_user


def _org(slug: str) -> schemas.OrganisationCreate:
    return schemas.OrganisationCreate(slug=slug, name=slug.title(), kind="sme", country="FR")


async def _slugs(db: AsyncSession) -> list[str]:
    return list(await db.scalars(select(Organisation.slug).order_by(Organisation.slug)))


async def test_a_refused_call_is_undone_and_earlier_work_is_kept(db: AsyncSession) -> None:
    user = await make_user(db, "ada@example.eu")
    await service.create_org(db, user, data=_org("kept"))  # the request's earlier work
    with pytest.raises(Conflict):
        async with attempt(db):
            await service.create_org(db, user, data=_org("refused"))
            await db.flush()
            raise Conflict("refused after writing")
    # The signed-in user was not touched by the block: still loaded, no reload needed.
    assert not inspect(user).expired_attributes
    assert user.email == "ada@example.eu"
    await db.commit()
    assert await _slugs(db) == ["kept"]


async def test_a_service_refusal_propagates_with_its_field(db: AsyncSession) -> None:
    user = await make_user(db, "ada@example.eu")
    await service.create_org(db, user, data=_org("acme"))
    with pytest.raises(AppError) as refused:
        async with attempt(db):
            await service.create_org(db, user, data=_org("acme"))
    assert refused.value.field == "slug" and "is taken" in refused.value.detail
    await db.commit()
    assert await _slugs(db) == ["acme"]


async def test_an_accepted_block_is_still_undone_by_the_request_rollback(
    engine: AsyncEngine, db: AsyncSession
) -> None:
    """The savepoint nests in the request's transaction even when it writes first.

    Python's sqlite3 begins a transaction only before a write; without the engine's
    `BEGIN IMMEDIATE` the savepoint would open it, and its release would commit it.
    """
    user = await make_user(db, "ada@example.eu")
    async with make_sessionmaker(engine)() as request_session:
        actor = await request_session.get(type(user), user.id)
        assert actor is not None
        async with attempt(request_session):
            await service.create_org(request_session, actor, data=_org("first-write"))
        await request_session.rollback()  # the request failed after the block
    count = await db.scalar(select(func.count()).select_from(Organisation))
    assert count == 0
