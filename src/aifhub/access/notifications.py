"""Access notifications, queued through the mail outbox (one digest per person and window).

Every e-mail of the domain is a `MailTemplate` here; its dedup key makes each notice fire once:
`<kind>:<object>:<detail>:<recipient>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.mail import MailTemplate, queue_notice
from aifhub.identity.models import Project, ProjectMember, User
from aifhub.schemas.enums.identity import ProjectRole

if TYPE_CHECKING:
    from aifhub.access.ledger import Balance
    from aifhub.access.models import Allocation, Application
    from aifhub.resources import Partition

SUBMITTED = MailTemplate(
    kind="application.submitted",
    key="application.submitted:{app.id}:{app.revision}:{to}",
    subject="Application #{app.id} received: {app.title}",
    body="Your application #{app.id} '{app.title}' for project {project.slug} under {mode_name} "
    "was received and passed the eligibility check.\nA decision is due by {app.due_date}.",
)
CHANGES_REQUESTED = MailTemplate(
    kind="application.changes_requested",
    key="application.changes:{app.id}:{app.revision}:{to}",
    subject="Changes requested on application #{app.id}",
    body="The reviewers ask for changes to '{app.title}':\n\n{reason}\n\n"
    "Revise it and submit it again.",
)
DECISION = MailTemplate(
    kind="application.decision",
    key="application.decision:{app.id}:{to}",
    subject="Application #{app.id} {outcome}",
    body="Your {mode_name} application '{app.title}' for project {project.slug} "
    "was {outcome}.\n\n{reason}",
)
REVIEW_ASSIGNED = MailTemplate(
    kind="review.assigned",
    key="review.assigned:{app.id}:{step}:{reviewer.id}",
    subject="Review requested: application #{app.id}",
    body="You are asked for a {step} review of application #{app.id} '{app.title}'. "
    "It is due by {app.due_date}. If you have a conflict of interest, declare it.",
)
ALLOCATION_ACTIVE = MailTemplate(
    kind="allocation.active",
    key="allocation.active:{alloc.id}:{to}",
    subject="Allocation #{alloc.id} is active",
    body="Allocation #{alloc.id} of project {project.slug}: {alloc.amount} hours, "
    "from {alloc.starts_at:%Y-%m-%d} to {alloc.ends_at:%Y-%m-%d}. You can submit jobs now.",
)
EXPIRY = MailTemplate(
    kind="allocation.expiry",
    key="allocation.expiry:{alloc.id}:{days}:{to}",
    subject="Allocation #{alloc.id} on {partition.key} ends {when}",
    body="Allocation #{alloc.id} of project {project.slug} on {partition.key} ends on "
    "{alloc.ends_at:%Y-%m-%d}. Ask for a renewal in time if your mode allows it.",
)
USAGE = MailTemplate(
    kind="allocation.usage",
    key="allocation.usage:{alloc.id}:{percent}:{to}",
    subject="Allocation #{alloc.id} on {partition.key}: {percent}% used",
    body="Project {project.slug} used {balance.used} of {balance.granted} hours "
    "on {partition.key} ({balance.remaining} remaining). "
    "Ask for a top-up if your mode allows it.",
)

OVERRUN = MailTemplate(
    kind="allocation.overrun",
    key="allocation.overrun:{alloc.id}:{to}",
    subject="Allocation #{alloc.id} on {partition.key} used more hours than granted",
    body="Project {project.slug} used {balance.used} hours on {partition.key}, "
    "{balance.overrun} more than the {balance.granted} granted: jobs ran past their time limit "
    "and are charged in full.\nNew jobs on {partition.key} are refused, and the cluster blocks "
    "the project at its next update, until staff grant more hours. Ask for a top-up if your "
    "mode allows it.",
)


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
    session: AsyncSession, template: MailTemplate, *, project: Project, **fields: Any
) -> int:
    n = 0
    for email in await pi_emails(session, project.id):
        n += await queue_notice(session, template, to=email, project=project, **fields)
    return n


async def submission_receipt(
    session: AsyncSession, *, app: Application, project: Project, mode_name: str
) -> None:
    """Receipt of a (re)submission, with the decision deadline."""
    await _to_pis(session, SUBMITTED, project=project, app=app, mode_name=mode_name)


async def changes_requested(
    session: AsyncSession, *, app: Application, project: Project, reason: str
) -> None:
    """The staff ask the applicant for changes."""
    await _to_pis(session, CHANGES_REQUESTED, project=project, app=app, reason=reason)


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
        DECISION,
        project=project,
        app=app,
        mode_name=mode_name,
        outcome=outcome,
        reason=reason,
    )


async def review_assigned(
    session: AsyncSession, *, app: Application, reviewer: User, step: str
) -> None:
    """A reviewer is asked for a review."""
    await queue_notice(
        session, REVIEW_ASSIGNED, to=reviewer.email, app=app, reviewer=reviewer, step=step
    )


async def allocation_starting(
    session: AsyncSession, *, alloc: Allocation, project: Project
) -> None:
    """An allocation became active."""
    await _to_pis(session, ALLOCATION_ACTIVE, project=project, alloc=alloc)


async def expiry(
    session: AsyncSession, *, alloc: Allocation, project: Project, partition: Partition, days: int
) -> int:
    """Expiry notice (30, 7 or 0 days left)."""
    when = "today" if days == 0 else f"in {days} days"
    return await _to_pis(
        session, EXPIRY, project=project, alloc=alloc, partition=partition, days=days, when=when
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
        USAGE,
        project=project,
        alloc=alloc,
        partition=partition,
        percent=percent,
        balance=balance,
    )


async def overrun(
    session: AsyncSession,
    *,
    alloc: Allocation,
    project: Project,
    partition: Partition,
    balance: Balance,
) -> int:
    """Overrun notice: the allocation's settled use passed its grant (once per allocation)."""
    return await _to_pis(
        session, OVERRUN, project=project, alloc=alloc, partition=partition, balance=balance
    )
