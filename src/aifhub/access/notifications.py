"""Access notifications, queued through the mail outbox (one digest per person and window).

Dedup keys make each notice fire once: `<kind>:<object>:<detail>:<recipient>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.mail import queue_mail, queue_mail_once
from aifhub.identity.models import Project, ProjectMember, ProjectRole, User

if TYPE_CHECKING:
    from aifhub.access.ledger import Balance
    from aifhub.access.models import Allocation, Application
    from aifhub.resources.models import Partition


async def pi_emails(session: AsyncSession, project_id: int) -> list[str]:
    """E-mail addresses of a project's PIs."""
    rows = await session.scalars(
        select(User.email)
        .join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project_id, ProjectMember.role == ProjectRole.PI.value)
        .order_by(User.email)
    )
    return list(rows)


async def _to_pis(
    session: AsyncSession, project: Project, *, kind: str, key: str, subject: str, body: str
) -> int:
    n = 0
    for email in await pi_emails(session, project.id):
        _, new = await queue_mail_once(
            session, to=email, subject=subject, body=body, kind=kind, key=f"{key}:{email}"
        )
        n += new
    return n


async def submission_receipt(
    session: AsyncSession, *, app: Application, project: Project, mode_name: str
) -> None:
    """Receipt of a (re)submission, with the decision deadline."""
    await _to_pis(
        session,
        project,
        kind="application.submitted",
        key=f"application.submitted:{app.id}:{app.revision}",
        subject=f"Application #{app.id} received: {app.title}",
        body=(
            f"Your application #{app.id} '{app.title}' for project {project.slug} "
            f"under {mode_name} "
            f"was received and passed the eligibility check.\nA decision is due by {app.due_date}."
        ),
    )


async def changes_requested(
    session: AsyncSession, *, app: Application, project: Project, reason: str
) -> None:
    """The staff ask the applicant for changes."""
    await _to_pis(
        session,
        project,
        kind="application.changes_requested",
        key=f"application.changes:{app.id}:{app.revision}",
        subject=f"Changes requested on application #{app.id}",
        body=f"The reviewers ask for changes to '{app.title}':\n\n{reason}\n\n"
        "Revise it and submit it again.",
    )


async def decision(
    session: AsyncSession,
    *,
    app: Application,
    project: Project,
    mode_name: str,
    accepted: bool,
    reason: str,
) -> None:
    """The decision on an application, with its reasons."""
    outcome = "accepted" if accepted else "rejected"
    await _to_pis(
        session,
        project,
        kind="application.decision",
        key=f"application.decision:{app.id}",
        subject=f"Application #{app.id} {outcome}",
        body=f"Your {mode_name} application '{app.title}' for project {project.slug} "
        f"was {outcome}.\n\n{reason}",
    )


async def review_assigned(
    session: AsyncSession, *, app: Application, reviewer: User, step: str
) -> None:
    """A reviewer is asked for a review."""
    await queue_mail(
        session,
        to=reviewer.email,
        subject=f"Review requested: application #{app.id}",
        body=f"You are asked for a {step} review of application #{app.id} '{app.title}'. "
        f"It is due by {app.due_date}. If you have a conflict of interest, declare it.",
        kind="review.assigned",
        key=f"review.assigned:{app.id}:{step}:{reviewer.id}",
    )


async def allocation_starting(
    session: AsyncSession, *, alloc: Allocation, project: Project
) -> None:
    """An allocation became active."""
    await _to_pis(
        session,
        project,
        kind="allocation.active",
        key=f"allocation.active:{alloc.id}",
        subject=f"Allocation #{alloc.id} is active",
        body=f"Allocation #{alloc.id} of project {project.slug}: {alloc.amount} hours, "
        f"from {alloc.starts_at:%Y-%m-%d} to {alloc.ends_at:%Y-%m-%d}. You can submit jobs now.",
    )


async def expiry(
    session: AsyncSession, *, alloc: Allocation, project: Project, partition: Partition, days: int
) -> int:
    """Expiry notice (30, 7 or 0 days left)."""
    when = "today" if days == 0 else f"in {days} days"
    return await _to_pis(
        session,
        project,
        kind="allocation.expiry",
        key=f"allocation.expiry:{alloc.id}:{days}",
        subject=f"Allocation #{alloc.id} on {partition.key} ends {when}",
        body=f"Allocation #{alloc.id} of project {project.slug} on {partition.key} ends on "
        f"{alloc.ends_at:%Y-%m-%d}. Ask for a renewal in time if your mode allows it.",
    )


async def usage(
    session: AsyncSession,
    *,
    alloc: Allocation,
    project: Project,
    partition: Partition,
    percent: int,
    balance: Balance,
) -> int:
    """Usage notice (80% or 100% of the granted hours used)."""
    return await _to_pis(
        session,
        project,
        kind="allocation.usage",
        key=f"allocation.usage:{alloc.id}:{percent}",
        subject=f"Allocation #{alloc.id} on {partition.key}: {percent}% used",
        body=f"Project {project.slug} used {balance.used} of {balance.granted} hours "
        f"on {partition.key} "
        f"({balance.remaining} remaining). Ask for a top-up if your mode allows it.",
    )
