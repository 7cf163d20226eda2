"""Passwords: reset by a link sent by e-mail, change by the signed-in owner.

A reset link carries a random token; only its SHA-256 is stored (`PasswordReset`). It works
once, until it expires: using it, asking for a newer link, or changing the password spends it.
Asking for a link always gets the same answer, whether or not an account has the address, and
is throttled per address and per client like sign-in (`throttle`, under keys of its own).
Setting a new password signs out every browser of the account, except, for a change made from
the account page, the one that made it; the owner gets a mail saying so.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core import audit, context
from aifhub.core.config import Settings
from aifhub.core.db import utcnow
from aifhub.core.errors import InvalidInput, TooManyRequests
from aifhub.core.mail import MailTemplate, queue_notice
from aifhub.core.security import hash_password, token_digest, verify_password
from aifhub.identity import throttle
from aifhub.identity.models import PasswordReset, User, WebSession
from aifhub.identity.notifications import PASSWORD_CHANGED, PASSWORD_RESET, REGISTER_EXISTING
from aifhub.identity.service import get_user_by_email
from aifhub.identity.throttle import Delays, LoginLimits

FORGOT_PATH = "/password/forgot"
RESET_PATH = "/password/reset"
_HOUR_S = 3600


@dataclass(frozen=True)
class ResetPolicy:
    """How long a link lasts, how often one may ask for one, where links point."""

    minutes: int
    requests: int
    base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> ResetPolicy:
        """The policy the operator configured (AIFHUB_PASSWORD_RESET_*)."""
        return cls(
            minutes=settings.password_reset_minutes,
            requests=settings.password_reset_requests,
            base_url=settings.base_url,
        )

    def link(self, token: str) -> str:
        """The absolute URL of the page that sets a new password with this token."""
        return f"{self.base_url.rstrip('/')}{RESET_PATH}?token={token}"

    def forgot_link(self) -> str:
        """The absolute URL of the page that sends a reset link."""
        return f"{self.base_url.rstrip('/')}{FORGOT_PATH}"


def _reset_keys(
    email: str, client_addr: str | None, policy: ResetPolicy
) -> list[tuple[str, Delays]]:
    # After `requests` links in an hour the next waits a minute, doubling up to an hour; a
    # client address (a NAT shares one) gets ten times as many.
    keys = [(f"reset:{email}", Delays(policy.requests, 60, _HOUR_S))]
    if client_addr:
        keys.append((f"reset-addr:{client_addr}", Delays(policy.requests * 10, 60, _HOUR_S)))
    return keys


async def issue_reset(
    session: AsyncSession, user: User, *, minutes: int
) -> tuple[PasswordReset, str]:
    """A new reset token for the user (returned once, stored hashed); earlier ones are spent."""
    now = utcnow()
    await _spend_all(session, user.id)
    raw = secrets.token_urlsafe(32)
    reset = PasswordReset(
        user_id=user.id,
        digest=token_digest(raw),
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    session.add(reset)
    await session.flush()
    return reset, raw


async def request_reset(
    session: AsyncSession, *, email: str, client_addr: str | None, policy: ResetPolicy
) -> None:
    """Mail a reset link when an active account has this address; nothing says whether it does.

    Raises TooManyRequests (with the seconds to wait) when the address or the client asked too
    often; that answer depends only on the requests, never on whether the account exists.
    """
    email = email.strip().lower()
    wait = await throttle.claim_keys(
        session, _reset_keys(email, client_addr, policy), forget_s=_HOUR_S
    )
    if wait:
        seconds = math.ceil(wait)
        raise TooManyRequests(
            f"Too many password-reset requests; wait {seconds} seconds and try again.",
            retry_after_s=seconds,
        )
    user = await get_user_by_email(session, email)
    if user is None or not user.is_active:
        return
    await _mail_reset_link(session, user, PASSWORD_RESET, policy, "user.password_reset_sent")


async def warn_existing_owner(session: AsyncSession, user: User, *, policy: ResetPolicy) -> None:
    """Someone registered with this account's address: tell its owner, with a reset link."""
    if not user.is_active:
        return
    await _mail_reset_link(session, user, REGISTER_EXISTING, policy, "user.register_existing")


async def _mail_reset_link(
    session: AsyncSession, user: User, template: MailTemplate, policy: ResetPolicy, action: str
) -> None:
    """Issue a reset link (cancelling older ones), queue the mail that carries it, audit it."""
    reset, raw = await issue_reset(session, user, minutes=policy.minutes)
    await queue_notice(
        session,
        template,
        to=user.email,
        user=user,
        reset=reset,
        minutes=policy.minutes,
        link=policy.link(raw),
    )
    await audit.record(session, action, "user", user.id)


_INVALID = (
    "This password-reset link is not valid any more: it works once, for a limited time, and a"
    " newer link replaces it. Ask for a new one."
)


async def reset_target(session: AsyncSession, token: str) -> tuple[PasswordReset, User]:
    """The unspent, unexpired reset of this token and its account; InvalidInput otherwise."""
    reset = await session.scalar(
        select(PasswordReset).where(PasswordReset.digest == token_digest(token))
    )
    if reset is None or reset.spent_at is not None or reset.expires_at <= utcnow():
        raise InvalidInput(_INVALID)
    user = await session.get(User, reset.user_id)
    if user is None or not user.is_active:
        raise InvalidInput(_INVALID)
    return reset, user


async def reset_password(
    session: AsyncSession, *, token: str, password: str, policy: ResetPolicy
) -> User:
    """Set a new password with a reset token: the token is spent, every browser signed out.

    Opening the link proves the mailbox, so an unverified address becomes verified, and the
    account's sign-in throttle starts afresh.
    """
    reset, user = await reset_target(session, token)
    context.set_actor(user.id, user.email)
    # Spent in one UPDATE guarded by `spent_at IS NULL`: two parallel uses, one wins.
    won = await session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.spent_at.is_(None))
        .values(spent_at=utcnow())
    )
    if getattr(won, "rowcount", 1) != 1:
        raise InvalidInput(_INVALID)
    if not user.email_verified:
        user.email_verified_at = utcnow()
    await _set_password(session, user, password, keep_session=None, how="with a reset link")
    await throttle.forget(session, throttle.account_key(user.email))
    await _notify_changed(session, user, policy=policy, how="with a reset link")
    return user


async def change_password(
    session: AsyncSession,
    user: User,
    *,
    current: str,
    new: str,
    client_addr: str | None,
    limits: LoginLimits,
    keep_session: str,
    policy: ResetPolicy,
) -> None:
    """The signed-in owner sets a new password, giving the current one (throttled like sign-in).

    Every other browser is signed out; `keep_session` is the cookie of the one that asked.
    """
    wait = await throttle.claim_attempt(
        session, email=user.email, client_addr=client_addr, limits=limits
    )
    if wait:
        seconds = math.ceil(wait)
        raise TooManyRequests(
            f"Too many wrong passwords; wait {seconds} seconds and try again.",
            retry_after_s=seconds,
        )
    if not verify_password(user.password_hash, current):
        raise InvalidInput("This is not your current password.", field="current_password")
    await throttle.record_success(session, email=user.email, client_addr=client_addr)
    if verify_password(user.password_hash, new):
        raise InvalidInput(
            "The new password is your current one; choose another.", field="password"
        )
    how = "from the account page"
    await _set_password(session, user, new, keep_session=keep_session, how=how)
    await _notify_changed(session, user, policy=policy, how=how)


async def _set_password(
    session: AsyncSession, user: User, password: str, *, keep_session: str | None, how: str
) -> None:
    user.password_hash = hash_password(password)
    await _spend_all(session, user.id)
    kept = token_digest(keep_session) if keep_session else None
    ended = 0
    for ws in await session.scalars(select(WebSession).where(WebSession.user_id == user.id)):
        if ws.digest != kept:
            await session.delete(ws)
            ended += 1
    await session.flush()
    await audit.record(
        session, "user.password_change", "user", user.id, how=how, sessions_ended=ended
    )


async def _notify_changed(
    session: AsyncSession, user: User, *, policy: ResetPolicy, how: str
) -> None:
    await queue_notice(
        session,
        PASSWORD_CHANGED,
        to=user.email,
        user=user,
        how=how,
        stamp=utcnow().isoformat(),
        link=policy.forgot_link(),
    )


async def _spend_all(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.spent_at.is_(None))
        .values(spent_at=utcnow())
    )
