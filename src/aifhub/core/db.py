"""Engine, sessions and the declarative base. Services never commit: the edge does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, Numeric, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Hours (allocations, ledger movements, charge factors): exact decimals, 4 places.
HOURS = Numeric(16, 4)


class Base(DeclarativeBase):
    """Base of every model; constraint names are stable for migrations."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _begin_before_savepoint(conn: Any, _name: str | None) -> None:
    # Python's sqlite3 opens a transaction only before a write, so a SAVEPOINT that comes
    # first would open it itself, and releasing it would commit there and then, before the
    # request's own commit. Begin for real first; IMMEDIATE takes the write lock now, as the
    # savepoint is about to write, instead of failing when a read transaction upgrades.
    driver = conn.connection.driver_connection
    if not getattr(driver, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 20,
    max_overflow: int = 20,
    pool_timeout_s: float = 30.0,
) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, foreign keys and a busy timeout."""
    kwargs: dict[str, Any] = {
        "echo": echo,
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout_s,
    }
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 10}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "savepoint", _begin_before_savepoint)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


def sync_engine_of(engine: AsyncEngine) -> Engine:
    """The sync engine under an async one (for event listeners and counting)."""
    return engine.sync_engine


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed when the endpoint returns without error."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


@asynccontextmanager
async def attempt(session: AsyncSession) -> AsyncIterator[None]:
    """Run a service call in a savepoint: if it raises, what it wrote is undone, nothing else.

    A page answers a refused form in the same request: the request's session stays usable and
    objects the block did not change (the signed-in user) stay loaded, so no rollback of the
    whole session and no reload is needed. The exception goes on to the caller.
    """
    async with session.begin_nested():
        yield


# scope="function": the commit runs before the response is sent, so a failed commit
# is an error response, never a 2xx for something that was not stored.
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
