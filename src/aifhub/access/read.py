"""Read models: rows into the schemas the API, the pages and the CLI show."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.applications import AppView, is_late, views
from aifhub.access.deadlines import next_cutoff
from aifhub.access.ledger import Balance
from aifhub.access.models import AccessMode, Allocation, Application, Review
from aifhub.access.modes import spec_of
from aifhub.access.progress import Progress, next_step, offered
from aifhub.core.db import utcnow
from aifhub.identity.models import User
from aifhub.resources import Partition
from aifhub.schemas.access import (
    AccessModeRead,
    AllocationRead,
    ApplicationRead,
    BalanceRead,
    ItemRead,
    NextStepRead,
    ReviewRead,
)


def mode_read(mode: AccessMode, today: date | None = None) -> AccessModeRead:
    """A mode as applicants see it."""
    spec = spec_of(mode)
    today = today or utcnow().date()
    return AccessModeRead(
        slug=spec.slug,
        name=spec.name,
        description=spec.description,
        org_kinds=[str(k) for k in spec.org_kinds],
        countries=spec.country_codes,
        min_hours=spec.min_hours,
        max_hours=spec.max_hours,
        durations_months=spec.durations_months,
        deadline_working_days=spec.deadline_working_days,
        cutoffs=spec.cutoffs,
        next_cutoff=next_cutoff(today, spec.cutoffs) if spec.cutoffs else None,
        requires_fallback=spec.requires_fallback,
        review_steps=[s.model_dump() for s in spec.review_steps],
        criteria=spec.criteria,
        renewable=spec.renewable,
        top_ups=spec.top_ups,
    )


def progress_read(v: AppView) -> Progress:
    """The application as the rule of actions reads it."""
    return Progress(v.app.state, spec_of(v.mode), v.submitted)


def next_step_read(v: AppView) -> NextStepRead | None:
    """Who acts next, doing what, by the decision deadline."""
    step = next_step(progress_read(v))
    if step is None:
        return None
    waiting = step.actor in ("staff", "reviewers", "director")
    return NextStepRead(
        actor=step.actor,
        what=step.what,
        reviews_submitted=step.have,
        reviews_needed=step.need,
        due_date=v.app.due_date if waiting else None,
        action=step.action,
    )


def application_read(v: AppView, today: date | None = None) -> ApplicationRead:
    """An application with its items, deadline, next step and the actions the rules accept."""
    a = v.app
    return ApplicationRead(
        id=a.id,
        project=v.project.slug,
        organisation=v.org.slug,
        mode=v.mode.slug,
        kind=a.kind,
        allocation_id=a.allocation_id,
        state=a.state,
        title=a.title,
        technical_description=a.technical_description,
        datasets_models=a.datasets_models,
        sector=a.sector,
        duration_months=a.duration_months,
        items=[
            ItemRead(partition=p.key, unit=p.unit, requested=i.requested, granted=i.granted)
            for i, p in v.items
        ],
        fallback_partitions=[p.key for p in v.fallbacks],
        created_at=a.created_at,
        submitted_at=a.submitted_at,
        due_date=a.due_date,
        late=is_late(a, today or utcnow().date()),
        decided_at=a.decided_at,
        allocated_at=a.allocated_at,
        state_reason=a.state_reason,
        revision=a.revision,
        allowed_actions=offered(progress_read(v)),
        next_step=next_step_read(v),
        decided_automatically=a.decided_at is not None and a.decided_by_id is None,
    )


async def application_out(session: AsyncSession, app: Application) -> ApplicationRead:
    """The read model of one application."""
    (v,) = await views(session, [app])
    return application_read(v)


def review_read(r: Review, app: Application, reviewer: User) -> ReviewRead:
    """A review with the application it is about."""
    return ReviewRead(
        id=r.id,
        application_id=app.id,
        application_title=app.title,
        reviewer=reviewer.email,
        step=r.step,
        state=r.state,
        scores=r.scores,
        comment=r.comment,
        conflict_reason=r.conflict_reason,
        assigned_at=r.assigned_at,
        submitted_at=r.submitted_at,
    )


def allocation_read(
    a: Allocation, project: str, part: Partition, b: Balance, fallback_keys: list[str] | None = None
) -> AllocationRead:
    """An allocation with its balance and its overrun (Balance.overrun)."""
    return AllocationRead(
        id=a.id,
        project=project,
        partition=part.key,
        unit=part.unit,
        amount=a.amount,
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        state=a.state,
        application_id=a.application_id,
        fallback_partitions=fallback_keys or [],
        balance=BalanceRead(
            granted=b.granted,
            reserved=b.reserved,
            used=b.used,
            remaining=b.remaining,
            overrun_hours=b.overrun,
        ),
        overrun_hours=b.overrun,
    )
