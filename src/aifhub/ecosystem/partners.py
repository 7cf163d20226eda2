"""Incubators and funds: the directory, introductions asked by startups, decisions, outcomes."""

from __future__ import annotations

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, NotFound, PermissionDenied
from aifhub.core.mail import queue_notice
from aifhub.ecosystem.errors import NotEligible
from aifhub.ecosystem.models import Introduction, Partner
from aifhub.ecosystem.notifications import INTRODUCTION_DECIDED, INTRODUCTION_REQUESTED
from aifhub.identity import get_org, get_user_by_email, org_role
from aifhub.identity.models import Organisation, OrgMembership, User
from aifhub.schemas import ecosystem as schemas
from aifhub.schemas.enums.ecosystem import IntroOutcome, IntroState
from aifhub.schemas.enums.identity import OrgKind, StaffRole


def _is_staff(user: User) -> bool:
    return user.has_role(StaffRole.SUPPORT)


async def create_partner(
    session: AsyncSession, actor: User, *, data: schemas.PartnerCreate
) -> Partner:
    """Add an incubator or a fund to the directory (staff)."""
    if not _is_staff(actor):
        raise PermissionDenied("Only staff (support desk, admins) add partners.")
    if await session.scalar(select(Partner.id).where(Partner.slug == data.slug)):
        raise Conflict(f"The partner slug '{data.slug}' is taken; choose another.")
    values = data.model_dump(mode="json", exclude={"contact_email"})
    partner = Partner(**values)
    if data.contact_email:
        contact = await get_user_by_email(session, data.contact_email)
        if contact is None:
            raise NotFound(f"No user with e-mail {data.contact_email} to act for this partner.")
        partner.contact_user_id = contact.id
    session.add(partner)
    await session.flush()
    await audit.record(session, "partner.create", "partner", partner.slug, kind=partner.kind)
    return partner


async def list_partners(
    session: AsyncSession,
    *,
    kind: str | None = None,
    sector: str | None = None,
    stage: str | None = None,
    country: str | None = None,
) -> list[Partner]:
    """The directory, filtered by kind, sector, stage and country (filters on JSON in Python)."""
    query = select(Partner).order_by(Partner.name)
    if kind:
        query = query.where(Partner.kind == kind)
    rows = list(await session.scalars(query))
    if sector:
        rows = [p for p in rows if not p.sectors or sector in p.sectors]
    if stage:
        rows = [p for p in rows if not p.stages or stage in p.stages]
    if country:
        rows = [p for p in rows if country in p.countries or p.country == country]
    return rows


async def get_partner(session: AsyncSession, slug: str) -> Partner:
    """A partner by slug."""
    p = await session.scalar(select(Partner).where(Partner.slug == slug))
    if p is None:
        raise NotFound(f"No incubator or fund '{slug}'.")
    return p


async def request_introduction(
    session: AsyncSession, actor: User, slug: str, *, organisation: str, pitch: str
) -> Introduction:
    """Ask a partner for an introduction on behalf of one's organisation, with a pitch."""
    partner = await get_partner(session, slug)
    org = await get_org(session, actor, organisation)
    if await org_role(session, actor, org.id) is None:
        raise PermissionDenied(f"Only members of '{org.slug}' can ask on its behalf.")
    if partner.startups_only and org.kind != OrgKind.STARTUP:
        raise NotEligible(
            f"{partner.name} only takes startups; '{org.slug}' is registered as {org.kind}."
        )
    pending = await session.scalar(
        select(Introduction.id).where(
            Introduction.partner_id == partner.id,
            Introduction.org_id == org.id,
            Introduction.state == IntroState.REQUESTED.value,
        )
    )
    if pending:
        raise Conflict(f"'{org.slug}' already has a pending request to {partner.name}.")
    intro = Introduction(
        partner_id=partner.id, org_id=org.id, requested_by_id=actor.id, pitch=pitch
    )
    session.add(intro)
    await session.flush()
    await audit.record(
        session, "introduction.request", "introduction", intro.id, partner=partner.slug
    )
    if partner.contact_user_id:
        contact = await session.get(User, partner.contact_user_id)
        if contact:
            await queue_notice(
                session,
                INTRODUCTION_REQUESTED,
                to=contact.email,
                intro=intro,
                org=org,
                partner=partner,
                pitch=pitch,
            )
    return intro


def visible_introductions(actor: User) -> Select[Introduction]:
    """Introductions the actor may see: their organisations', their partner's, all for staff."""
    query = select(Introduction)
    if _is_staff(actor):
        return query
    member = exists().where(
        OrgMembership.org_id == Introduction.org_id, OrgMembership.user_id == actor.id
    )
    theirs = aliased(Partner)  # aliased: list_introductions joins Partner too
    contact = exists().where(
        theirs.id == Introduction.partner_id, theirs.contact_user_id == actor.id
    )
    return query.where(or_(member, contact))


async def list_introductions(
    session: AsyncSession, actor: User, *, state: str | None = None
) -> list[tuple[Introduction, str, str]]:
    """Visible introductions with the partner's and organisation's names."""
    query = (
        visible_introductions(actor)
        .join(Partner, Partner.id == Introduction.partner_id)
        .join(Organisation, Organisation.id == Introduction.org_id)
        .add_columns(Partner.name, Organisation.name)
        .order_by(Introduction.id.desc())
    )
    if state:
        query = query.where(Introduction.state == state)
    return [(i, p, o) for i, p, o in (await session.execute(query)).all()]


async def _decidable(session: AsyncSession, actor: User, intro_id: int) -> Introduction:
    intro = await session.scalar(visible_introductions(actor).where(Introduction.id == intro_id))
    if intro is None:
        raise NotFound(f"No introduction {intro_id} that you can see.")
    partner = await session.get(Partner, intro.partner_id)
    assert partner is not None
    if not (_is_staff(actor) or partner.contact_user_id == actor.id):
        raise PermissionDenied("Only the partner's contact or staff decide on introductions.")
    return intro


async def decide(
    session: AsyncSession, actor: User, intro_id: int, *, accept: bool, note: str = ""
) -> Introduction:
    """The partner (or staff for it) accepts or declines an introduction."""
    intro = await _decidable(session, actor, intro_id)
    if intro.state != IntroState.REQUESTED:
        raise Conflict(f"This introduction was already {intro.state}.")
    intro.state = (IntroState.ACCEPTED if accept else IntroState.DECLINED).value
    intro.decided_by_id, intro.decided_at, intro.decision_note = actor.id, utcnow(), note
    await audit.record(session, "introduction.decide", "introduction", intro.id, state=intro.state)
    requester = await session.get(User, intro.requested_by_id)
    partner = await session.get(Partner, intro.partner_id)
    if requester and partner:
        await queue_notice(
            session,
            INTRODUCTION_DECIDED,
            to=requester.email,
            intro=intro,
            partner=partner,
            note=f"\n\n{note}" if note else "",
        )
    return intro


async def record_outcome(
    session: AsyncSession, actor: User, intro_id: int, *, outcome: str, note: str = ""
) -> Introduction:
    """Follow what came of an accepted introduction (staff or the partner's contact)."""
    intro = await _decidable(session, actor, intro_id)
    if intro.state != IntroState.ACCEPTED:
        raise Conflict("Outcomes are recorded for accepted introductions only.")
    intro.outcome, intro.outcome_note = IntroOutcome(outcome).value, note
    await audit.record(session, "introduction.outcome", "introduction", intro.id, outcome=outcome)
    return intro
