"""Credentials: passwords with rate limiting, API tokens, browser sessions, federated users."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core import audit, context
from aifhub.core.config import OIDCProvider
from aifhub.core.db import utcnow
from aifhub.core.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
)
from aifhub.core.security import new_token, token_digest, verify_password
from aifhub.identity import throttle
from aifhub.identity.models import (
    ApiToken,
    ExternalIdentity,
    LoginAttempt,
    StaffRoleGrant,
    User,
    WebSession,
)
from aifhub.identity.service import create_user, get_user_by_email
from aifhub.identity.throttle import LoginLimits
from aifhub.schemas import identity as schemas
from aifhub.schemas.enums.identity import StaffRole

TOKEN_PREFIX = "aifh_"


@dataclass
class Principal:
    """Who is calling, and with what rights (scopes of the token; all for a browser session)."""

    user: User
    via: str  # "token" or "session"
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"read", "write", "admin"}))
    csrf_token: str | None = None


async def authenticate(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    client_addr: str | None,
    limits: LoginLimits,
) -> User | None:
    """Check a password, after the throttle (per account and per address) lets the attempt in.

    Raises TooManyRequests (with the seconds to wait) before any hash is computed when the
    account or the address must wait. Returns None on a wrong password.
    """
    email = email.strip().lower()
    wait = await throttle.claim_attempt(
        session, email=email, client_addr=client_addr, limits=limits
    )
    if wait:
        seconds = math.ceil(wait)
        raise TooManyRequests(
            f"Too many failed sign-in attempts; wait {seconds} seconds and try again.",
            retry_after_s=seconds,
        )
    user = await get_user_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.is_active
    session.add(LoginAttempt(email=email, client_addr=client_addr, success=ok, at=utcnow()))
    if not ok or user is None:
        return None
    await throttle.record_success(session, email=email, client_addr=client_addr)
    # What this request changes next (the token or session it opens) is the user's doing.
    context.set_actor(user.id, user.email)
    return user


# ---------------------------------------------------------------- API tokens


async def create_token(
    session: AsyncSession, user: User, *, data: schemas.TokenCreate
) -> tuple[ApiToken, str]:
    """Create a personal API token; the secret is returned once and stored hashed."""
    secret = new_token(TOKEN_PREFIX)
    expires = utcnow() + timedelta(days=data.expires_in_days) if data.expires_in_days else None
    token = ApiToken(
        user_id=user.id,
        name=data.name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(secret),
        scopes=sorted(set(data.scopes)),
        expires_at=expires,
    )
    session.add(token)
    await session.flush()
    await audit.record(
        session, "token.create", "api_token", token.id, name=token.name, scopes=token.scopes
    )
    return token, secret


async def list_tokens(session: AsyncSession, user: User) -> list[ApiToken]:
    """The user's own tokens, newest first."""
    rows = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    )
    return list(rows)


async def revoke_token(session: AsyncSession, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens."""
    token = await session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if token is None:
        raise NotFound(f"No token {token_id} of yours.")
    if token.revoked_at:
        raise Conflict(f"Token {token_id} is already revoked.")
    token.revoked_at = utcnow()
    await audit.record(session, "token.revoke", "api_token", token.id)
    return token


async def reload_user(session: AsyncSession, user_id: int) -> User:
    """The caller's account read again in a later session (401 once the account is gone)."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotAuthenticated("Your account no longer exists.")
    return user


async def resolve_token(session: AsyncSession, secret: str) -> Principal:
    """The principal behind a bearer token, or a 401 saying what is wrong with it."""
    row = await session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.digest == token_digest(secret))
    )
    found = row.first()
    if found is None:
        raise NotAuthenticated("Unknown API token; create one with `aifhub login`.")
    token, user = found
    now = utcnow()
    if token.revoked_at:
        raise NotAuthenticated("This API token was revoked; create a new one.")
    if token.expires_at and token.expires_at <= now:
        raise NotAuthenticated("This API token has expired; create a new one.")
    if not user.is_active:
        raise NotAuthenticated("This account is disabled.")
    # Touch at most once a minute: a token used by a busy client must not write on every call.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    scopes = frozenset(token.scopes)
    # Staff powers travel only with the 'admin' scope: a read or write token of a staff member
    # acts as an ordinary user (writes still need 'write', checked in deps.current_principal).
    user.staff_powers_withheld = "admin" not in scopes
    return Principal(user=user, via="token", scopes=scopes)


# ---------------------------------------------------------------- browser sessions


async def open_web_session(
    session: AsyncSession,
    user: User,
    *,
    hours: int,
    client_addr: str | None,
    user_agent: str | None,
    oidc_provider: str | None = None,
    id_token: str | None = None,
) -> str:
    """Start a browser session; returns the cookie value (stored hashed). `oidc_provider` and
    `id_token`: a federated sign-in whose provider offers RP-initiated logout."""
    raw = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            digest=token_digest(raw),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(24),
            expires_at=utcnow() + timedelta(hours=hours),
            client_addr=client_addr,
            user_agent=(user_agent or "")[:300],
            oidc_provider=oidc_provider if id_token else None,
            id_token=id_token,
        )
    )
    await audit.record(session, "session.open", "user", user.id)
    return raw


async def resolve_web_session(session: AsyncSession, raw: str) -> Principal | None:
    """The principal of a session cookie, or None when it is unknown or expired."""
    row = await session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.digest == token_digest(raw), WebSession.expires_at > utcnow())
    )
    found = row.first()
    if found is None or not found[1].is_active:
        return None
    ws, user = found
    return Principal(user=user, via="session", csrf_token=ws.csrf_token)


@dataclass(frozen=True)
class FederatedSession:
    """What ending a federated session at its provider needs (RP-initiated logout)."""

    provider: str
    id_token: str


async def close_web_session(session: AsyncSession, raw: str) -> FederatedSession | None:
    """End a browser session (sign out); returns its provider session to end, if any."""
    ws = await session.scalar(select(WebSession).where(WebSession.digest == token_digest(raw)))
    if ws is None:
        return None
    federated = None
    if ws.oidc_provider and ws.id_token:
        federated = FederatedSession(ws.oidc_provider, ws.id_token)
    await session.delete(ws)
    await audit.record(session, "session.close", "user", ws.user_id)
    return federated


# ---------------------------------------------------------------- federation


def claim_value(claims: dict[str, Any], name: str) -> Any:
    """A claim by name; dots reach into nested claims ("realm_access.roles")."""
    value: Any = claims
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _truthy(value: Any) -> bool:
    # Some providers send email_verified as the string "true".
    return value is True or (isinstance(value, str) and value.lower() == "true")


async def federated_login(
    session: AsyncSession, *, provider: OIDCProvider, claims: dict[str, Any]
) -> User:
    """Find or create the user behind verified OIDC claims; the first login creates them.

    Staff roles follow `role_claims`: a mapped role is granted, and a role the previous login's
    claims mapped but this login's do not is withdrawn; roles are granted only to an account
    whose e-mail is verified. A first sign-in links to an existing account only when the
    provider vouches for the e-mail and that account's address was verified; an unverified
    account holding the address is never entered (see `_release_unverified`).
    """
    subject = str(claims.get("sub") or "")
    if not subject:
        raise InvalidInput("The identity provider returned no subject ('sub') claim.")
    link = await session.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.provider == provider.name, ExternalIdentity.subject == subject
        )
    )
    roles = mapped_roles(provider, claims)
    vouched = provider.trust_email or _truthy(claims.get("email_verified"))
    claimed = claim_value(claims, provider.email_claim)
    previous: set[str] = set()
    if link is not None:
        user = await session.get(User, link.user_id)
        assert user is not None
        _check_active(user)
        previous = mapped_roles(provider, link.claims or {})
        if vouched and not user.email_verified and _same_email(claimed, user.email):
            user.email_verified_at = utcnow()
    else:
        if not claimed or not isinstance(claimed, str) or "@" not in claimed:
            raise InvalidInput(
                f"The identity provider sent no usable e-mail claim '{provider.email_claim}':"
                " allow aifhub to read your e-mail address at the provider, or ask the"
                " factory's staff to set `email_claim` for this provider."
            )
        email = claimed
        name = claim_value(claims, provider.name_claim) or email.split("@")[0]
        existing = await get_user_by_email(session, email)
        if existing is not None and not vouched:
            _check_active(existing)
            raise Conflict(
                f"An account with e-mail {existing.email} already exists and "
                f"'{provider.label}' does not say this e-mail is verified: sign in with "
                "that account's password instead, or verify the e-mail at the provider."
            )
        if existing is not None and not existing.email_verified:
            await _release_unverified(session, existing, provider=provider)
            existing = None
        if existing is None:
            user = await create_user(
                session, email=email, name=str(name)[:200], password=None, email_verified=vouched
            )
        else:
            user = existing
            _check_active(user)
        link = ExternalIdentity(user_id=user.id, provider=provider.name, subject=subject)
        session.add(link)
    context.set_actor(user.id, user.email)
    link.claims = {k: v for k, v in claims.items() if isinstance(v, str | int | bool | list | dict)}
    link.last_login_at = utcnow()
    # Claims speak for the provider's account; they reach an aifhub account only once its
    # address is proven, so a look-alike account never inherits staff roles.
    granted = sorted(roles - user.roles) if user.email_verified else []
    withdrawn = sorted((previous - roles) & user.roles)
    for role in granted:
        user.staff_roles.append(StaffRoleGrant(role=role))
    for grant in [g for g in user.staff_roles if g.role in withdrawn]:
        user.staff_roles.remove(grant)
    await session.flush()
    if granted or withdrawn:
        await audit.record(
            session,
            "user.staff_roles",
            "user",
            user.id,
            granted=granted,
            withdrawn=withdrawn,
            by=f"oidc:{provider.name}",
        )
    await audit.record(session, "user.federated_login", "user", user.id, provider=provider.name)
    return user


def _same_email(claimed: Any, email: str) -> bool:
    return isinstance(claimed, str) and claimed.strip().lower() == email


async def _release_unverified(session: AsyncSession, user: User, *, provider: OIDCProvider) -> None:
    """Free an address held by an account that never proved it, for its proven owner.

    Whoever registered it first (perhaps to squat it) is never signed in as, merged with or
    linked to the person the provider vouches for: the squatting account is disabled, its
    password, sessions, tokens and links removed, and its e-mail replaced by a placeholder;
    the proven owner gets a fresh account. Staff can re-attach it if it was theirs after all.
    """
    released = user.email
    user.email = f"released-{user.id}@unverified.invalid"
    user.password_hash = None
    user.is_active = False
    for ws in await session.scalars(select(WebSession).where(WebSession.user_id == user.id)):
        await session.delete(ws)
    tokens = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    for token in tokens:
        token.revoked_at = utcnow()
    for ext in await session.scalars(
        select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)
    ):
        await session.delete(ext)
    await session.flush()
    await audit.record(
        session,
        "user.email_released",
        "user",
        user.id,
        email=released,
        by=f"oidc:{provider.name}",
    )


def _check_active(user: User) -> None:
    if not user.is_active:
        raise NotAuthenticated("This account is disabled; ask the factory's staff.")


def mapped_roles(provider: OIDCProvider, claims: dict[str, Any]) -> set[str]:
    """The staff roles the provider's `role_claims` give for these claims."""
    roles: set[str] = set()
    for claim, mapping in provider.role_claims.items():
        value = claim_value(claims, claim)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, str) and v in mapping:
                if mapping[v] not in STAFF_ROLES:
                    raise ServiceUnavailable(
                        f"The [[oidc]] section '{provider.name}' maps {claim}={v} to the unknown"
                        f" staff role '{mapping[v]}' (known: {', '.join(sorted(STAFF_ROLES))});"
                        " the factory's staff must fix the site file."
                    )
                roles.add(mapping[v])
    return roles


STAFF_ROLES = frozenset(r.value for r in StaffRole)
