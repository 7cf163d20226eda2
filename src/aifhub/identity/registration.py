"""Self-registration that tells nobody which addresses have an account.

Whether the address is new or taken, the visitor gets the same answer ("check your mailbox")
after the same work (one password hash): a new address gets an account and a verification
link; a taken one gets no account, and its owner a mail saying someone tried, with a link to
reset the password in case it was them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.security import hash_password
from aifhub.identity import passwords, verification
from aifhub.identity.service import create_user, get_user_by_email
from aifhub.schemas import identity as schemas


async def register(
    session: AsyncSession,
    *,
    data: schemas.UserCreate,
    locale: str,
    secret_key: str,
    policy: passwords.ResetPolicy,
) -> None:
    """Create an unverified account and mail its link, or warn the address's owner."""
    existing = await get_user_by_email(session, data.email)
    if existing is not None:
        hash_password(data.password)  # the work creating an account does, so timing says nothing
        await passwords.warn_existing_owner(session, existing, policy=policy)
        return
    user = await create_user(
        session, email=data.email, name=data.name, password=data.password, locale=locale
    )
    await verification.send_verification(
        session, user, secret_key=secret_key, base_url=policy.base_url
    )
