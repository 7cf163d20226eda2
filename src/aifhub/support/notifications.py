"""Ticket notifications, queued in the ticket's transaction through core/mail (grouped there).

Every e-mail of the domain is a `MailTemplate` here; `{ref}` is the ticket's reference
(`ticket #12 'title'`) and `{user}` the recipient.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.mail import MailTemplate, queue_notice
from aifhub.identity.models import StaffRoleGrant, User
from aifhub.schemas.enums.identity import StaffRole
from aifhub.support.models import Ticket

TICKET_OPENED = MailTemplate(
    kind="support.ticket_opened",
    key="ticket:{ticket.id}:opened:{user.id}",
    subject="New {ticket.priority} {ticket.category} {ref}",
    body="A new ticket needs an expert: {ref}.\n"
    "First response due {ticket.first_response_due:%Y-%m-%d %H:%M} UTC.",
)
TICKET_ASSIGNED = MailTemplate(
    kind="support.ticket_assigned",
    key="ticket:{ticket.id}:assigned:{user.id}:{seq}",
    subject="Assigned to you: {ref}",
    body="You are now in charge of {ref} ({ticket.priority}).\n"
    "First response due {ticket.first_response_due:%Y-%m-%d %H:%M} UTC.",
)
TICKET_MESSAGE = MailTemplate(
    kind="support.ticket_message",
    key="ticket-message:{message_id}:{user.id}",
    subject="New message on {ref}",
    body="There is a new message on {ref} (state: {ticket.state}).",
)
TICKET_RESOLVED = MailTemplate(
    kind="support.ticket_resolved",
    key="ticket:{ticket.id}:resolved:{stamp}",
    subject="Resolved: {ref}",
    body="{ref} was marked resolved. Rate the help you got (1-5), "
    "or reopen it if the problem remains.",
)
SLA_BREACHED = MailTemplate(
    kind="support.sla_breach",
    key="ticket:{ticket.id}:breach:{what}:{user.id}",
    subject="SLA breached ({target}): {ref}",
    body="{ref} ({ticket.priority}) missed its {target} target.",
)


async def support_desk(session: AsyncSession) -> list[User]:
    """Users holding the support staff role."""
    rows = await session.scalars(
        select(User)
        .join(StaffRoleGrant, StaffRoleGrant.user_id == User.id)
        .where(StaffRoleGrant.role == StaffRole.SUPPORT.value, User.is_active.is_(True))
        .order_by(User.id)
    )
    return list(rows)


async def _notify(
    session: AsyncSession, template: MailTemplate, ticket: Ticket, user: User, **fields: object
) -> None:
    ref = f"ticket #{ticket.id} '{ticket.title}'"
    await queue_notice(
        session, template, to=user.email, ticket=ticket, user=user, ref=ref, **fields
    )


async def ticket_opened(session: AsyncSession, ticket: Ticket) -> None:
    """Tell the support desk a ticket was opened."""
    for user in await support_desk(session):
        await _notify(session, TICKET_OPENED, ticket, user)


async def ticket_assigned(session: AsyncSession, ticket: Ticket, expert: User, seq: int) -> None:
    """Tell an expert a ticket is theirs."""
    await _notify(session, TICKET_ASSIGNED, ticket, expert, seq=seq)


async def new_message(
    session: AsyncSession, ticket: Ticket, message_id: int, recipients: list[User]
) -> None:
    """Tell the other side of the thread a message arrived."""
    for user in recipients:
        await _notify(session, TICKET_MESSAGE, ticket, user, message_id=message_id)


async def ticket_resolved(session: AsyncSession, ticket: Ticket, requester: User) -> None:
    """Ask the requester to confirm and rate the help they got."""
    stamp = int(ticket.resolved_at.timestamp()) if ticket.resolved_at else 0
    await _notify(session, TICKET_RESOLVED, ticket, requester, stamp=stamp)


async def sla_breached(session: AsyncSession, ticket: Ticket, what: str) -> int:
    """Warn the support desk (and the assignee) once that a ticket missed an SLA target."""
    users = await support_desk(session)
    if ticket.assignee_id:
        assignee = await session.get(User, ticket.assignee_id)
        if assignee and assignee not in users:
            users.append(assignee)
    for user in users:
        await _notify(session, SLA_BREACHED, ticket, user, what=what, target=what.replace("_", " "))
    return len(users)
