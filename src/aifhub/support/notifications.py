"""Ticket notifications, queued in the ticket's transaction through core/mail (grouped there)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.mail import queue_mail
from aifhub.identity.models import StaffRole, StaffRoleGrant, User
from aifhub.support.models import Ticket


async def support_desk(session: AsyncSession) -> list[User]:
    """Users holding the support staff role."""
    rows = await session.scalars(
        select(User)
        .join(StaffRoleGrant, StaffRoleGrant.user_id == User.id)
        .where(StaffRoleGrant.role == StaffRole.SUPPORT.value, User.is_active.is_(True))
        .order_by(User.id)
    )
    return list(rows)


def _ref(ticket: Ticket) -> str:
    return f"ticket #{ticket.id} '{ticket.title}'"


async def ticket_opened(session: AsyncSession, ticket: Ticket) -> None:
    """Tell the support desk a ticket was opened."""
    for user in await support_desk(session):
        await queue_mail(
            session,
            to=user.email,
            subject=f"New {ticket.priority} {ticket.category} {_ref(ticket)}",
            body=f"A new ticket needs an expert: {_ref(ticket)}.\n"
            f"First response due {ticket.first_response_due:%Y-%m-%d %H:%M} UTC.",
            kind="support.ticket_opened",
            key=f"ticket:{ticket.id}:opened:{user.id}",
        )


async def ticket_assigned(session: AsyncSession, ticket: Ticket, expert: User, seq: int) -> None:
    """Tell an expert a ticket is theirs."""
    await queue_mail(
        session,
        to=expert.email,
        subject=f"Assigned to you: {_ref(ticket)}",
        body=f"You are now in charge of {_ref(ticket)} ({ticket.priority}).\n"
        f"First response due {ticket.first_response_due:%Y-%m-%d %H:%M} UTC.",
        kind="support.ticket_assigned",
        key=f"ticket:{ticket.id}:assigned:{expert.id}:{seq}",
    )


async def new_message(
    session: AsyncSession, ticket: Ticket, message_id: int, recipients: list[User]
) -> None:
    """Tell the other side of the thread a message arrived."""
    for user in recipients:
        await queue_mail(
            session,
            to=user.email,
            subject=f"New message on {_ref(ticket)}",
            body=f"There is a new message on {_ref(ticket)} (state: {ticket.state}).",
            kind="support.ticket_message",
            key=f"ticket-message:{message_id}:{user.id}",
        )


async def ticket_resolved(session: AsyncSession, ticket: Ticket, requester: User) -> None:
    """Ask the requester to confirm and rate the help they got."""
    stamp = int(ticket.resolved_at.timestamp()) if ticket.resolved_at else 0
    await queue_mail(
        session,
        to=requester.email,
        subject=f"Resolved: {_ref(ticket)}",
        body=f"{_ref(ticket)} was marked resolved. Rate the help you got (1-5), "
        "or reopen it if the problem remains.",
        kind="support.ticket_resolved",
        key=f"ticket:{ticket.id}:resolved:{stamp}",
    )


async def sla_breached(session: AsyncSession, ticket: Ticket, what: str) -> int:
    """Warn the support desk (and the assignee) once that a ticket missed an SLA target."""
    users = await support_desk(session)
    if ticket.assignee_id:
        assignee = await session.get(User, ticket.assignee_id)
        if assignee and assignee not in users:
            users.append(assignee)
    for user in users:
        await queue_mail(
            session,
            to=user.email,
            subject=f"SLA breached ({what.replace('_', ' ')}): {_ref(ticket)}",
            body=f"{_ref(ticket)} ({ticket.priority}) missed its {what.replace('_', ' ')} target.",
            kind="support.sla_breach",
            key=f"ticket:{ticket.id}:breach:{what}:{user.id}",
        )
    return len(users)
