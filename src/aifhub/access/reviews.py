"""Reviews: staff assign reviewers, reviewers declare conflicts or submit scores and comments."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access import notifications, progress
from aifhub.access.conflicts import conflicted_user_ids, refuse_conflict
from aifhub.access.decisions import require_assessor
from aifhub.access.lookup import get_application
from aifhub.access.models import AccessMode, Application, Review
from aifhub.access.modes import spec_of
from aifhub.access.progress import ASSIGN_IN, SUBMIT_IN, Progress
from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import AppError, Conflict, InvalidInput, NotFound, PermissionDenied
from aifhub.identity import get_user_by_email
from aifhub.identity.models import StaffRoleGrant, User
from aifhub.schemas.enums.access import ReviewState
from aifhub.schemas.enums.identity import StaffRole

REVIEWER_ROLES = (StaffRole.REVIEWER, StaffRole.EXPERT)


async def assign_reviewer(
    session: AsyncSession, actor: User, app_id: int, *, reviewer_email: str, step: str
) -> Review:
    """Ask a staff reviewer or expert for a review; refused for the applicant's own organisation."""
    require_assessor(actor)
    app = await get_application(session, actor, app_id)
    mode = await session.get(AccessMode, app.mode_id)
    assert mode is not None
    if step not in ASSIGN_IN:
        raise InvalidInput("The review step is 'technical' or 'peer'.", field="step")
    progress.check(Progress(app.state, spec_of(mode)), f"assign_{step}")
    await refuse_conflict(session, actor, app, role="assess")
    reviewer = await get_user_by_email(session, reviewer_email)
    if reviewer is None or not reviewer.has_role(*REVIEWER_ROLES):
        raise InvalidInput(
            f"{reviewer_email} is not a staff reviewer or expert; give them that role first."
        )
    await refuse_conflict(session, reviewer, app, role="review", who=reviewer.email)
    review = Review(
        application_id=app.id,
        reviewer_id=reviewer.id,
        step=step,
        assigned_by_id=actor.id,
        assigned_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(review)
    except IntegrityError as exc:
        raise Conflict(
            f"{reviewer.email} is already assigned a {step} review of application {app.id}."
        ) from exc
    await audit.record(
        session,
        "review.assign",
        "review",
        review.id,
        application=app.id,
        reviewer=reviewer.email,
        step=step,
    )
    await notifications.review_assigned(session, app=app, reviewer=reviewer, step=step)
    return review


async def eligible_reviewers(session: AsyncSession, app: Application) -> list[User]:
    """Staff reviewers and experts free of conflict with this application (offered in pages)."""
    staff = list(
        await session.scalars(
            select(User)
            .join(StaffRoleGrant, StaffRoleGrant.user_id == User.id)
            .where(
                StaffRoleGrant.role.in_([*REVIEWER_ROLES, StaffRole.ADMIN]),
                User.is_active.is_(True),
            )
            .distinct()
            .order_by(User.email)
        )
    )
    conflicted = await conflicted_user_ids(session, app, [u.id for u in staff])
    return [u for u in staff if u.id not in conflicted]


def review_refusal(review: Review, app: Application) -> AppError | None:
    """Why a reviewer cannot submit this review now (None: the review form is open)."""
    if review.state != ReviewState.ASSIGNED:
        return Conflict(
            f"Review {review.id} is already {review.state}; it cannot be submitted again."
        )
    if app.state != SUBMIT_IN[review.step]:
        return Conflict(
            f"{review.step.title()} reviews are submitted while the application is in "
            f"{SUBMIT_IN[review.step]}; it is {app.state}."
        )
    return None


async def _my_review(
    session: AsyncSession, actor: User, review_id: int
) -> tuple[Review, Application]:
    review = await session.get(Review, review_id)
    if review is None or review.reviewer_id != actor.id:
        raise NotFound(f"No review {review_id} assigned to you.")
    app = await session.get(Application, review.application_id)
    assert app is not None
    return review, app


async def declare_conflict(
    session: AsyncSession, actor: User, review_id: int, *, reason: str
) -> Review:
    """The reviewer declines for a conflict of interest (the review no longer counts)."""
    review, app = await _my_review(session, actor, review_id)
    if review.state != ReviewState.ASSIGNED:
        raise Conflict(f"Review {review_id} is already {review.state}.")
    review.state, review.conflict_reason = ReviewState.CONFLICT.value, reason
    await audit.record(
        session, "review.conflict", "review", review.id, application=app.id, reason=reason
    )
    return review


async def submit_review(
    session: AsyncSession, actor: User, review_id: int, *, scores: dict[str, int], comment: str
) -> Review:
    """Submit scores (1-5 on each of the mode's criteria) and comments."""
    review, app = await _my_review(session, actor, review_id)
    refused = review_refusal(review, app)
    if refused is not None:
        raise refused
    await refuse_conflict(session, actor, app, role="review")
    mode = await session.get(AccessMode, app.mode_id)
    assert mode is not None
    criteria = spec_of(mode).criteria
    if set(scores) != set(criteria):
        raise InvalidInput(f"Score each criterion exactly once: {', '.join(criteria)}.")
    bad = [k for k, v in scores.items() if not 1 <= v <= 5]
    if bad:
        raise InvalidInput(f"Scores run from 1 to 5; fix: {', '.join(sorted(bad))}.")
    review.scores, review.comment = dict(scores), comment
    review.state, review.submitted_at = ReviewState.SUBMITTED.value, utcnow()
    await audit.record(
        session, "review.submit", "review", review.id, application=app.id, scores=scores
    )
    return review


async def list_reviews(
    session: AsyncSession,
    actor: User,
    *,
    application_id: int | None = None,
    mine: bool = False,
    state: str | None = None,
) -> list[tuple[Review, Application, User]]:
    """Reviews: one's own queue, or (staff assessors) all reviews of an application."""
    query = (
        select(Review, Application, User)
        .join(Application, Application.id == Review.application_id)
        .join(User, User.id == Review.reviewer_id)
    )
    if mine or not actor.has_role(StaffRole.REVIEWER):
        if not actor.is_staff:
            raise PermissionDenied("Reviews are for the factory's staff.")
        query = query.where(Review.reviewer_id == actor.id)
    if application_id is not None:
        query = query.where(Review.application_id == application_id)
    if state:
        query = query.where(Review.state == state)
    rows = await session.execute(query.order_by(Review.id))
    return [(r, a, u) for r, a, u in rows.all()]


async def review_row(session: AsyncSession, review_id: int) -> tuple[Review, Application, User]:
    """A review with its application and reviewer (callers have already checked access)."""
    row = (
        await session.execute(
            select(Review, Application, User)
            .join(Application, Application.id == Review.application_id)
            .join(User, User.id == Review.reviewer_id)
            .where(Review.id == review_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"No review {review_id}.")
    return row[0], row[1], row[2]
