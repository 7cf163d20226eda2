"""E-mail ownership: a signed, expiring, single-use link sent to the address proves it.

The link carries the user's id and the address it was sent to, signed with the site's secret
key and timed (itsdangerous). It serves once: it only verifies an address that is still the
account's address and still unverified, so a second click (or a link for an older address)
changes nothing.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import InvalidInput, PermissionDenied
from aifhub.core.mail import queue_notice
from aifhub.identity.models import User
from aifhub.identity.notifications import VERIFY_EMAIL

VERIFY_HOURS = 48
VERIFY_PATH = "/account/verify-email"
_SALT = "aifhub.email.verify"


class EmailNotVerified(PermissionDenied):
    """An action that needs a verified e-mail address, asked by an unverified account."""

    type, title = "email-not-verified", "E-mail address not verified"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def verification_token(secret_key: str, user: User) -> str:
    """The signed token of a verification link for the user's current address."""
    # The random part makes each link distinct, so a resend is a new message.
    return _serializer(secret_key).dumps({"u": user.id, "e": user.email, "r": secrets.token_hex(4)})


def verification_link(base_url: str, token: str) -> str:
    """The absolute URL that verifies an address."""
    return f"{base_url.rstrip('/')}{VERIFY_PATH}?token={token}"


async def send_verification(
    session: AsyncSession, user: User, *, secret_key: str, base_url: str
) -> None:
    """Queue the verification mail for the user's address (no-op when already verified)."""
    if user.email_verified:
        return
    token = verification_token(secret_key, user)
    link = verification_link(base_url, token)
    await queue_notice(
        session,
        VERIFY_EMAIL,
        to=user.email,
        user=user,
        hours=VERIFY_HOURS,
        link=link,
        token_tail=token[-24:],
    )
    await audit.record(session, "user.verify_email_sent", "user", user.id, email=user.email)


async def verify_email(
    session: AsyncSession, *, token: str, secret_key: str, max_age_s: int = VERIFY_HOURS * 3600
) -> User:
    """Mark the address of the link's account verified; refused when expired, forged or used."""
    again = "Ask for a new link from your account page."
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age_s)
    except SignatureExpired as exc:
        raise InvalidInput(
            f"This verification link has expired (it lasts {VERIFY_HOURS} hours). {again}"
        ) from exc
    except BadSignature as exc:
        raise InvalidInput(f"This verification link is not valid. {again}") from exc
    user = await session.get(User, int(data.get("u", 0))) if isinstance(data, dict) else None
    if user is None or user.email != data.get("e"):
        raise InvalidInput(f"This verification link is not for your current address. {again}")
    if user.email_verified:
        raise InvalidInput("This verification link was already used: the address is verified.")
    user.email_verified_at = utcnow()
    await session.flush()
    await audit.record(session, "user.verify_email", "user", user.id, email=user.email)
    return user


def require_verified(user: User) -> None:
    """Refuse (403) an action that needs a verified address."""
    if not user.email_verified:
        raise EmailNotVerified(
            f"Verify your e-mail address {user.email} first: open the link we sent there,"
            f" or ask for a new one at {VERIFY_PATH}."
        )
