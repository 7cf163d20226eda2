"""Expert profiles and routing: which available expert fits a ticket best, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core import audit
from aifhub.core.bm25 import tokenize
from aifhub.core.errors import InvalidInput, NotFound, PermissionDenied
from aifhub.core.i18n import N_, Text
from aifhub.identity.models import Project, StaffRoleGrant, User
from aifhub.schemas import support as schemas
from aifhub.schemas.enums.identity import Sector, StaffRole
from aifhub.schemas.enums.support import OPEN_STATES, TicketCategory
from aifhub.support import taxonomy
from aifhub.support.models import ExpertProfile, Ticket, TicketMessage
from aifhub.support.tickets import expert_load, get_ticket, is_desk


async def upsert_profile(
    session: AsyncSession, actor: User, user_id: int, *, data: schemas.ExpertProfileUpdate
) -> ExpertProfile:
    """Create or change an expert's profile (the expert themself, or the support desk)."""
    if actor.id != user_id and not is_desk(actor):
        raise PermissionDenied("Experts edit their own profile; the support desk edits any.")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    if StaffRole.EXPERT not in user.roles:
        raise InvalidInput(f"{user.email} does not hold the 'expert' staff role; grant it first.")
    if unknown := taxonomy.unknown_skills(data.skills):
        raise InvalidInput(
            f"Unknown skills: {', '.join(unknown)}; see GET /api/v1/support/skills for the list."
        )
    profile = await session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user_id))
    if profile is None:
        profile = ExpertProfile(user_id=user_id)
        session.add(profile)
    values = data.model_dump(mode="json")
    values["skills"] = list(dict.fromkeys(data.skills))
    for key, value in values.items():
        setattr(profile, key, value)
    await session.flush()
    await audit.record(session, "expert.profile", "user", user_id, skills=profile.skills)
    return profile


async def list_experts(
    session: AsyncSession, *, skill: str | None = None, available_only: bool = False
) -> list[tuple[ExpertProfile, User, int]]:
    """Experts with their open-ticket load: one query (the directory every user sees)."""
    load = (
        select(Ticket.assignee_id, func.count().label("n"))
        .where(Ticket.state.in_(OPEN_STATES))
        .group_by(Ticket.assignee_id)
        .subquery()
    )
    query = (
        select(ExpertProfile, User, func.coalesce(load.c.n, 0))
        .join(User, User.id == ExpertProfile.user_id)
        .join(
            StaffRoleGrant,
            (StaffRoleGrant.user_id == User.id) & (StaffRoleGrant.role == StaffRole.EXPERT.value),
        )
        .outerjoin(load, load.c.assignee_id == User.id)
        .where(User.is_active.is_(True))
        .order_by(User.name, User.id)
    )
    if available_only:
        query = query.where(ExpertProfile.available.is_(True))
    rows = (await session.execute(query)).all()
    out = [(p, u, int(n)) for p, u, n in rows]
    if skill:
        out = [r for r in out if skill in r[0].skills]
    return out


async def get_expert(session: AsyncSession, user_id: int) -> tuple[ExpertProfile, User, int]:
    """One expert's profile, account and open-ticket load (404 without a profile)."""
    row = (
        await session.execute(
            select(ExpertProfile, User)
            .join(User, User.id == ExpertProfile.user_id)
            .where(ExpertProfile.user_id == user_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"User {user_id} has no expert profile.")
    return row[0], row[1], await expert_load(session, user_id)


def _member(category: str) -> str:
    # The category's enum member (its label is shown), or the value itself.
    return TicketCategory(category) if category in TicketCategory._value2member_map_ else category


def _sector(sector: str) -> str:
    return Sector(sector) if sector in Sector._value2member_map_ else sector


@dataclass
class Proposal:
    """An expert proposed for a ticket, with the score and the reasons behind it."""

    expert: User
    profile: ExpertProfile
    load: int
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)


def score_expert(
    profile: ExpertProfile,
    load: int,
    *,
    category: str,
    text: str,
    sector: str | None,
    language: str | None,
) -> tuple[float, list[str]]:
    """Score one expert for a request; pure, so the rules are easy to read and test."""
    known = taxonomy.skills()
    score, reasons = 0.0, list[str]()
    covering = [s for s in profile.skills if s in known and category in known[s].categories]
    if covering:
        score += min(2.0, 1.0 * len(covering))
        labels = ", ".join(known[s].label for s in covering[:2])
        reasons.append(
            Text(
                N_("skills for '%(category)s': %(skills)s"),
                category=_member(category),
                skills=labels,
            )
        )
    words = set(tokenize(text))
    hits: list[str] = []
    for s in profile.skills:
        if s in known:
            hits += [k for k in known[s].keywords if set(tokenize(k)) & words and k not in hits]
    if hits:
        score += min(2.5, 0.5 * len(hits))
        reasons.append(Text(N_("matches %(terms)s"), terms=", ".join(f"'{h}'" for h in hits[:5])))
    if sector and sector in profile.sectors:
        score += 0.75
        reasons.append(Text(N_("knows the %(sector)s sector"), sector=_sector(sector)))
    if language:
        if language in profile.languages:
            score += 0.5
            reasons.append(Text(N_("speaks %(language)s"), language=language))
        else:
            score -= 0.5
            reasons.append(Text(N_("does not list %(language)s"), language=language))
    if profile.capacity:
        free = max(0.0, 1 - load / profile.capacity)
        score += 0.5 * free
        reasons.append(Text(N_("load %(load)s/%(cap)s"), load=load, cap=profile.capacity))
    return round(score, 3), reasons


async def propose_experts(
    session: AsyncSession, actor: User, ticket_id: int, *, limit: int = 5
) -> list[Proposal]:
    """The best available experts for a ticket, with reasons (support desk only)."""
    if not is_desk(actor):
        raise PermissionDenied("Only the support desk sees routing proposals.")
    ticket = await get_ticket(session, actor, ticket_id)
    first = await session.scalar(
        select(TicketMessage.body)
        .where(TicketMessage.ticket_id == ticket.id)
        .order_by(TicketMessage.id)
        .limit(1)
    )
    sector = await session.scalar(select(Project.sector).where(Project.id == ticket.project_id))
    requester = await session.get(User, ticket.requester_id)
    out = []
    for profile, user, load in await list_experts(session, available_only=True):
        if load >= profile.capacity:
            continue
        score, reasons = score_expert(
            profile,
            load,
            category=ticket.category,
            text=f"{ticket.title} {first or ''}",
            sector=sector,
            language=requester.locale if requester else None,
        )
        out.append(Proposal(user, profile, load, score, reasons))
    out.sort(key=lambda p: (-p.score, p.load, p.expert.id))
    return out[:limit]
