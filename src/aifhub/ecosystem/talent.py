"""The talent board: job and internship offers of organisations, profiles of people who opt in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import NotFound, PermissionDenied
from aifhub.ecosystem.models import JobOffer, TalentProfile
from aifhub.identity import get_org, org_role
from aifhub.identity.models import Organisation, User
from aifhub.schemas import ecosystem as schemas


async def create_offer(
    session: AsyncSession, actor: User, *, data: schemas.OfferCreate
) -> JobOffer:
    """Publish an offer for one of one's organisations."""
    org = await get_org(session, actor, data.organisation)
    if await org_role(session, actor, org.id) is None:
        raise PermissionDenied(f"Only members of '{org.slug}' publish its offers.")
    offer = JobOffer(
        org_id=org.id,
        created_by_id=actor.id,
        **data.model_dump(mode="json", exclude={"organisation"}),
    )
    session.add(offer)
    await session.flush()
    await audit.record(session, "talent.offer_create", "job_offer", offer.id, org=org.slug)
    return offer


async def close_offer(session: AsyncSession, actor: User, offer_id: int) -> JobOffer:
    """Close an offer (members of its organisation)."""
    offer = await session.get(JobOffer, offer_id)
    if offer is None:
        raise NotFound(f"No offer {offer_id}.")
    if await org_role(session, actor, offer.org_id) is None:
        raise PermissionDenied("Only members of the offering organisation close it.")
    offer.is_open = False
    await audit.record(session, "talent.offer_close", "job_offer", offer.id)
    return offer


async def list_offers(
    session: AsyncSession, *, kind: str | None = None
) -> list[tuple[JobOffer, str]]:
    """Open offers with their organisation's name, newest first."""
    query = (
        select(JobOffer, Organisation.name)
        .join(Organisation, Organisation.id == JobOffer.org_id)
        .where(JobOffer.is_open.is_(True))
        .order_by(JobOffer.id.desc())
    )
    if kind:
        query = query.where(JobOffer.kind == kind)
    return [(o, n) for o, n in (await session.execute(query)).all()]


async def upsert_profile(
    session: AsyncSession, actor: User, *, data: schemas.TalentProfileIn
) -> TalentProfile:
    """Create or change one's talent profile; it is listed only when opted in."""
    profile = await session.scalar(select(TalentProfile).where(TalentProfile.user_id == actor.id))
    if profile is None:
        profile = TalentProfile(user_id=actor.id)
        session.add(profile)
    for key, value in data.model_dump(mode="json").items():
        setattr(profile, key, value)
    profile.updated_at = utcnow()
    await session.flush()
    await audit.record(session, "talent.profile", "user", actor.id, opted_in=profile.opted_in)
    return profile


async def list_profiles(session: AsyncSession) -> list[tuple[TalentProfile, str]]:
    """Profiles of people who opted in, with their names."""
    rows = await session.execute(
        select(TalentProfile, User.name)
        .join(User, User.id == TalentProfile.user_id)
        .where(TalentProfile.opted_in.is_(True), User.is_active.is_(True))
        .order_by(TalentProfile.updated_at.desc())
    )
    return [(p, n) for p, n in rows.all()]
