"""Tickets: opening, the thread, the state machine, assignment and rating.

Authorisation lives in `visible_tickets`: project members see their project's tickets, an
expert the tickets assigned to them, the support desk (and admins) every ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, about
from aifhub.identity import require_project_role
from aifhub.identity.models import Project, ProjectMember, User
from aifhub.schemas.enums.identity import ProjectRole, StaffRole
from aifhub.schemas.enums.support import OPEN_STATES, TicketState
from aifhub.storage import ObjectStore
from aifhub.support import attachments, notifications
from aifhub.support.errors import InvalidTransition
from aifhub.support.models import ExpertProfile, Ticket, TicketAttachment, TicketMessage
from aifhub.support.sla import SlaPolicy

S = TicketState
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.ASSIGNED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.WAITING_ON_USER, S.RESOLVED, S.CLOSED}),
    S.WAITING_ON_USER: frozenset({S.ASSIGNED, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.ASSIGNED, S.CLOSED}),
    S.CLOSED: frozenset(),
}
# What each side may do on its own (the support desk may do every allowed transition).
ASSIGNEE_MOVES = frozenset({S.WAITING_ON_USER, S.RESOLVED, S.ASSIGNED})
REQUESTER_MOVES = frozenset({S.CLOSED, S.ASSIGNED})


def is_desk(user: User) -> bool:
    """Support staff and admins run the desk."""
    return user.has_role(StaffRole.SUPPORT)


def visible_tickets(actor: User) -> Select[Ticket]:
    """Tickets the actor may see."""
    query = select(Ticket)
    if is_desk(actor):
        return query
    member = exists().where(
        ProjectMember.project_id == Ticket.project_id, ProjectMember.user_id == actor.id
    )
    return query.where(or_(member, Ticket.assignee_id == actor.id))


@dataclass(frozen=True)
class SlaStatus:
    """A ticket's deadlines and whether they are (or were) missed."""

    first_response_due: datetime
    resolution_due: datetime
    first_response_breached: bool
    resolution_breached: bool


def sla_status(ticket: Ticket, now: datetime | None = None) -> SlaStatus:
    """Deadlines and breaches of a ticket, as of now."""
    now = now or utcnow()
    first = ticket.first_response_at or now
    done = ticket.resolved_at or ticket.closed_at or now
    return SlaStatus(
        ticket.first_response_due,
        ticket.resolution_due,
        first > ticket.first_response_due,
        done > ticket.resolution_due,
    )


async def is_member(session: AsyncSession, user: User, project_id: int) -> bool:
    """True when the user is a member of the project (the ticket's requester side)."""
    return bool(
        await session.scalar(
            select(ProjectMember.id).where(
                ProjectMember.project_id == project_id, ProjectMember.user_id == user.id
            )
        )
    )


async def open_ticket(
    session: AsyncSession,
    actor: User,
    *,
    project: str,
    title: str,
    body: str,
    category: str,
    priority: str,
    policy: SlaPolicy,
    files: Sequence[attachments.CheckedFile] = (),
    store: ObjectStore | None = None,
) -> Ticket:
    """Open a ticket on a project the actor is a member of; SLA deadlines are set now."""
    with about("project"):
        proj = await require_project_role(session, actor, project, list(ProjectRole))
    now = utcnow()
    first_due, resolve_due = policy.due(priority, now)
    ticket = Ticket(
        project_id=proj.id,
        requester_id=actor.id,
        title=title,
        category=category,
        priority=priority,
        state=S.NEW.value,
        created_at=now,
        updated_at=now,
        first_response_due=first_due,
        resolution_due=resolve_due,
    )
    session.add(ticket)
    await session.flush()
    await _add_message(session, ticket, actor, body, files, store)
    await audit.record(
        session, "ticket.open", "ticket", ticket.id, project=proj.slug, priority=priority
    )
    await notifications.ticket_opened(session, ticket)
    return ticket


async def _add_message(
    session: AsyncSession,
    ticket: Ticket,
    author: User,
    body: str,
    files: Sequence[attachments.CheckedFile],
    store: ObjectStore | None,
) -> TicketMessage:
    if files and store is None:
        raise InvalidInput("Attachments are not accepted here.")
    msg = TicketMessage(ticket_id=ticket.id, author_id=author.id, body=body, created_at=utcnow())
    session.add(msg)
    await session.flush()
    for f in files:
        assert store is not None
        digest = attachments.save(store, f)
        session.add(
            TicketAttachment(
                message_id=msg.id,
                filename=f.filename,
                content_type=f.content_type,
                size=len(f.data),
                sha256=digest,
            )
        )
    return msg


async def get_ticket(session: AsyncSession, actor: User, ticket_id: int) -> Ticket:
    """A visible ticket (404 when missing or not visible)."""
    ticket = await session.scalar(visible_tickets(actor).where(Ticket.id == ticket_id))
    if ticket is None:
        raise NotFound(f"No ticket #{ticket_id} that you can see.")
    return ticket


async def list_tickets(
    session: AsyncSession,
    actor: User,
    *,
    limit: int,
    offset: int,
    state: str | None = None,
    project: str | None = None,
    mine: bool = False,
) -> tuple[list[tuple[Ticket, str]], int]:
    """Visible tickets, newest first, with their project's slug."""
    query = visible_tickets(actor)
    if state:
        query = query.where(Ticket.state == state)
    if project:
        query = query.where(
            Ticket.project_id == select(Project.id).where(Project.slug == project).scalar_subquery()
        )
    if mine:
        query = query.where(or_(Ticket.assignee_id == actor.id, Ticket.requester_id == actor.id))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.join(Project, Project.id == Ticket.project_id)
        .add_columns(Project.slug)
        .order_by(Ticket.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(t, slug) for t, slug in rows.all()], int(total or 0)


async def thread(
    session: AsyncSession, actor: User, ticket_id: int
) -> tuple[Ticket, list[tuple[TicketMessage, str, list[TicketAttachment]]]]:
    """A visible ticket with its messages (author names) and their attachments: three queries."""
    ticket = await get_ticket(session, actor, ticket_id)
    rows = (
        await session.execute(
            select(TicketMessage, User.name)
            .join(User, User.id == TicketMessage.author_id)
            .where(TicketMessage.ticket_id == ticket.id)
            .order_by(TicketMessage.id)
        )
    ).all()
    ids = [m.id for m, _ in rows]
    files: dict[int, list[TicketAttachment]] = {i: [] for i in ids}
    if ids:
        for a in await session.scalars(
            select(TicketAttachment)
            .where(TicketAttachment.message_id.in_(ids))
            .order_by(TicketAttachment.id)
        ):
            files[a.message_id].append(a)
    return ticket, [(m, name, files[m.id]) for m, name in rows]


async def post_message(
    session: AsyncSession,
    actor: User,
    ticket_id: int,
    *,
    body: str,
    files: Sequence[attachments.CheckedFile] = (),
    store: ObjectStore | None = None,
) -> TicketMessage:
    """Add a message; the first answer from the expert side stops the first-response clock."""
    ticket = await get_ticket(session, actor, ticket_id)
    if ticket.state == S.CLOSED:
        raise Conflict(f"Ticket #{ticket.id} is closed; open a new ticket instead.")
    member = await is_member(session, actor, ticket.project_id)
    expert_side = not member or ticket.assignee_id == actor.id
    msg = await _add_message(session, ticket, actor, body, files, store)
    now = utcnow()
    if expert_side and ticket.first_response_at is None:
        ticket.first_response_at = now
    if not expert_side and ticket.state == S.WAITING_ON_USER:
        ticket.state = S.ASSIGNED.value  # the user answered: the ball is back with the expert
    ticket.updated_at = now
    await audit.record(session, "ticket.message", "ticket", ticket.id, message_id=msg.id)
    recipients: list[User] = []
    if expert_side:
        requester = await session.get(User, ticket.requester_id)
        recipients = [requester] if requester and requester.id != actor.id else []
    elif ticket.assignee_id:
        assignee = await session.get(User, ticket.assignee_id)
        recipients = [assignee] if assignee else []
    else:
        recipients = await notifications.support_desk(session)
    await notifications.new_message(session, ticket, msg.id, recipients)
    return msg


def allowed_for(actor: User, ticket: Ticket, *, is_member: bool) -> list[str]:
    """The states this actor may move this ticket to now."""
    allowed = set(TRANSITIONS[ticket.state])
    if is_desk(actor):
        mine = allowed
    else:
        mine = set()
        if ticket.assignee_id == actor.id:
            mine |= allowed & ASSIGNEE_MOVES
        if is_member:
            mine |= allowed & REQUESTER_MOVES
    if ticket.assignee_id is None:
        mine.discard(S.ASSIGNED.value)
    return sorted(mine)


async def transition(session: AsyncSession, actor: User, ticket_id: int, *, to: str) -> Ticket:
    """Move a ticket along its state machine (409 naming the allowed moves otherwise)."""
    ticket = await get_ticket(session, actor, ticket_id)
    legal = sorted(TRANSITIONS[ticket.state])
    if to not in legal:
        raise InvalidTransition(
            f"Ticket #{ticket.id} is '{ticket.state}'; it can move to: "
            f"{', '.join(legal) or 'nothing (final state)'}.",
            allowed=legal,
        )
    member = await is_member(session, actor, ticket.project_id)
    mine = allowed_for(actor, ticket, is_member=member)
    if to not in mine:
        if to == S.ASSIGNED and ticket.assignee_id is None:
            raise Conflict("Assign an expert to this ticket first.", allowed=mine)
        raise PermissionDenied(
            f"You cannot move ticket #{ticket.id} to '{to}'; you may move it to: "
            f"{', '.join(mine) or 'nothing'}.",
            allowed=mine,
        )
    previous, now = ticket.state, utcnow()
    ticket.state = to
    ticket.updated_at = now
    if to == S.RESOLVED:
        ticket.resolved_at = now
    elif to == S.CLOSED:
        ticket.closed_at = now
    elif to == S.ASSIGNED and previous == S.RESOLVED:
        ticket.resolved_at = None  # reopened: the resolution clock runs again
    await audit.record(session, "ticket.transition", "ticket", ticket.id, frm=previous, to=to)
    if to == S.RESOLVED:
        requester = await session.get(User, ticket.requester_id)
        if requester:
            await notifications.ticket_resolved(session, ticket, requester)
    return ticket


async def expert_load(session: AsyncSession, expert_id: int) -> int:
    """Open tickets assigned to an expert."""
    n = await session.scalar(
        select(func.count()).where(Ticket.assignee_id == expert_id, Ticket.state.in_(OPEN_STATES))
    )
    return int(n or 0)


async def assign(
    session: AsyncSession,
    actor: User,
    ticket_id: int,
    *,
    expert_id: int,
    allow_over_capacity: bool = False,
) -> Ticket:
    """Give a ticket to an expert (support desk only); refuses an expert at full capacity."""
    if not is_desk(actor):
        raise PermissionDenied("Only the support desk assigns tickets.")
    ticket = await get_ticket(session, actor, ticket_id)
    if ticket.state not in OPEN_STATES:
        raise InvalidTransition(
            f"Ticket #{ticket.id} is '{ticket.state}'; reopen it before assigning it.",
            allowed=sorted(TRANSITIONS[ticket.state]),
        )
    expert = await session.get(User, expert_id)
    profile = await session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == expert_id))
    if expert is None or profile is None or StaffRole.EXPERT not in expert.roles:
        raise NotFound(f"No expert with id {expert_id}; experts need a profile and the role.")
    if ticket.assignee_id == expert_id:
        raise Conflict(f"Ticket #{ticket.id} is already assigned to {expert.name}.")
    load = await expert_load(session, expert_id)
    if load >= profile.capacity and not allow_over_capacity:
        raise Conflict(
            f"{expert.name} already has {load} open tickets (capacity {profile.capacity}); "
            "choose another expert or set allow_over_capacity.",
            load=load,
            capacity=profile.capacity,
        )
    previous = ticket.assignee_id
    ticket.assignee_id = expert_id
    ticket.state = S.ASSIGNED.value
    ticket.updated_at = utcnow()
    await audit.record(
        session, "ticket.assign", "ticket", ticket.id, expert_id=expert_id, previous=previous
    )
    seq = int(
        await session.scalar(
            select(func.count()).where(
                audit.AuditEvent.action == "ticket.assign",
                audit.AuditEvent.object_id == str(ticket.id),
            )
        )
        or 0
    )
    await notifications.ticket_assigned(session, ticket, expert, seq + 1)
    return ticket


async def rate(
    session: AsyncSession, actor: User, ticket_id: int, *, rating: int, comment: str = ""
) -> Ticket:
    """Rate the help received (1-5), by a member of the ticket's project, once resolved."""
    ticket = await get_ticket(session, actor, ticket_id)
    if not await is_member(session, actor, ticket.project_id):
        raise PermissionDenied("Only members of the ticket's project can rate it.")
    if ticket.state not in (S.RESOLVED, S.CLOSED):
        raise Conflict(f"Ticket #{ticket.id} is '{ticket.state}'; rate it once it is resolved.")
    if not 1 <= rating <= 5:
        raise InvalidInput("A rating is a whole number from 1 to 5.")
    ticket.rating = rating
    ticket.rating_comment = comment
    await audit.record(session, "ticket.rate", "ticket", ticket.id, rating=rating)
    return ticket
