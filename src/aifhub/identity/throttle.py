"""Sign-in throttling: progressive delays per account and per address, counted in the database.

Every attempt is counted as a failure *before* its password is checked (the check is the
expensive part, and parallel attempts must not all pass a count read at the same time); a
correct password then clears the account's count. After `free_failures` failures in a row, the
next attempt must wait `delay_s`, then twice that, up to `max_delay_s`: a guesser is slowed to
a crawl, while the real user is never locked out for longer than the cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from aifhub.core.config import Settings
from aifhub.core.db import utcnow
from aifhub.identity.models import LoginThrottle


@dataclass(frozen=True)
class Delays:
    """How many failures in a row are free, and how the wait grows after them."""

    free_failures: int
    delay_s: int
    max_delay_s: int

    def after(self, failures: int) -> float:
        """Seconds the next attempt must wait after this many failures in a row."""
        if failures < self.free_failures:
            return 0.0
        exponent = min(failures - self.free_failures, 40)  # 2**40 s is past any cap
        return float(min(self.delay_s * 2**exponent, self.max_delay_s))


@dataclass(frozen=True)
class LoginLimits:
    """The throttling policy: per account, per address (looser: a NAT shares one)."""

    account: Delays
    address: Delays
    forget_s: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        """The limits the operator configured (AIFHUB_LOGIN_*)."""
        return cls(
            account=Delays(
                settings.login_max_failures, settings.login_delay_s, settings.login_max_delay_s
            ),
            address=Delays(
                settings.login_max_failures_per_address,
                settings.login_delay_s,
                settings.login_max_delay_s,
            ),
            forget_s=settings.login_forget_s,
        )


def account_key(email: str) -> str:
    """The throttle key of an account (whether or not it exists)."""
    return f"account:{email}"


def address_key(client_addr: str) -> str:
    """The throttle key of a client address."""
    return f"addr:{client_addr}"


async def claim_attempt(
    session: AsyncSession, *, email: str, client_addr: str | None, limits: LoginLimits
) -> float:
    """Count one attempt for the account and the address; 0, or the seconds left to wait.

    Runs in its own short transaction, committed at once: the count must hold whatever the
    request does next, and no lock may be held while the password hash is computed.
    """
    keys = [(account_key(email), limits.account)]
    if client_addr:
        keys.append((address_key(client_addr), limits.address))
    return await claim_keys(session, keys, forget_s=limits.forget_s)


async def claim_keys(
    session: AsyncSession, keys: list[tuple[str, Delays]], *, forget_s: int
) -> float:
    """Count one attempt for each key; 0, or the seconds left to wait (nothing counted then).

    The same progressive delays serve other requests worth slowing down (password-reset
    links, under their own keys).
    """
    engine = session.bind
    assert isinstance(engine, AsyncEngine), "sessions are bound to the app's engine"
    now = utcnow()
    async with engine.connect() as conn:
        tx = await conn.begin()
        for key, delays in keys:
            wait = await _claim(conn, key, delays, now, forget_s)
            if wait:
                await tx.rollback()  # a refused attempt counts for neither key
                return wait
        await tx.commit()
    return 0.0


async def _claim(
    conn: AsyncConnection, key: str, delays: Delays, now: datetime, forget_s: int
) -> float:
    insert: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(
        insert(LoginThrottle)
        .values(key=key, failures=0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    t = LoginThrottle
    stale = t.last_failure_at < now - timedelta(seconds=forget_s)
    # One UPDATE both checks the wait and takes the slot: PostgreSQL re-checks the WHERE on
    # the locked row, SQLite runs one writer at a time, so parallel attempts queue here.
    failures = await conn.scalar(
        update(t)
        .where(t.key == key, or_(t.next_allowed_at.is_(None), t.next_allowed_at <= now, stale))
        .values(failures=case((stale, 1), else_=t.failures + 1), last_failure_at=now)
        .returning(t.failures)
    )
    if failures is None:
        until = await conn.scalar(select(t.next_allowed_at).where(t.key == key))
        # From the clock now, not from `now`, which may predate waiting for the row's lock.
        return float(max(1, math.ceil((until - utcnow()).total_seconds()))) if until else 1.0
    delay = delays.after(failures)
    # No wait at all is NULL, not `now`: a parallel attempt whose clock was read a moment
    # earlier must not be refused by a delay of zero.
    until = now + timedelta(seconds=delay) if delay else None
    await conn.execute(update(t).where(t.key == key).values(next_allowed_at=until))
    return 0.0


async def record_success(session: AsyncSession, *, email: str, client_addr: str | None) -> None:
    """A correct password: the account starts afresh; the address gets its attempt back."""
    t = LoginThrottle
    await session.execute(
        update(t)
        .where(t.key == account_key(email))
        .values(failures=0, next_allowed_at=None, last_failure_at=None)
    )
    if client_addr:
        # Not reset: one good account behind an address must not clear a guesser's count.
        await session.execute(
            update(t)
            .where(t.key == address_key(client_addr), t.failures > 0)
            .values(failures=t.failures - 1)
        )


async def forget(session: AsyncSession, key: str) -> None:
    """Clear one key's count (the account's owner proved who they are another way)."""
    t = LoginThrottle
    await session.execute(
        update(t).where(t.key == key).values(failures=0, next_allowed_at=None, last_failure_at=None)
    )
