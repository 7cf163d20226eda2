"""Password hashing (argon2) and opaque tokens stored only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from aifhub.core.config import Settings


@cache
def _hasher() -> PasswordHasher:
    # Read once per process from AIFHUB_PASSWORD_HASH_COST (see Settings.password_hash_cost).
    if Settings().password_hash_cost == "cheapest":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


@cache
def _absent_account_hash() -> str:
    # Verifying against this when the account does not exist keeps timing flat.
    return _hasher().hash("not-a-real-password")


def hash_password(password: str) -> str:
    """Argon2id hash of a password, at the configured cost."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; constant work whether or not the user exists."""
    try:
        return (
            _hasher().verify(password_hash or _absent_account_hash(), password)
            and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> str:
    """A random opaque token with a readable prefix (e.g. 'aifh_')."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    """SHA-256 of a token: what the database keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string comparison."""
    return hmac.compare_digest(a.encode(), b.encode())
