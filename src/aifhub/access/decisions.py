"""Staff actions on applications: assessment steps, changes requested, decisions."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access import notifications, workflow
from aifhub.access.allocations import allocate_application
from aifhub.access.conflicts import refuse_conflict
from aifhub.access.errors import ReviewsMissing
from aifhub.access.lookup import get_application
from aifhub.access.models import AccessMode, Application, ApplicationItem, Review
from aifhub.access.modes import ModeSpec, spec_of
from aifhub.core.db import utcnow
from aifhub.core.errors import InvalidInput, PermissionDenied
from aifhub.identity.models import Project, User
from aifhub.resources import Partition
from aifhub.schemas.enums.access import ApplicationState as S
from aifhub.schemas.enums.access import ReviewState
from aifhub.schemas.enums.identity import StaffRole


def require_assessor(actor: User) -> None:
    """Staff who run assessments: reviewers and admins."""
    if not actor.has_role(StaffRole.REVIEWER):
        raise PermissionDenied("This needs the staff role 'reviewer' (or 'admin').")


def _require_decider(actor: User, spec: ModeSpec) -> None:
    if spec.decider_role == "admin" and not actor.has_role(StaffRole.ADMIN):
        raise PermissionDenied(
            f"{spec.name} decisions are validated by the director: staff 'admin' only."
        )
    require_assessor(actor)


async def _spec(session: AsyncSession, app: Application) -> ModeSpec:
    mode = await session.get(AccessMode, app.mode_id)
    assert mode is not None
    return spec_of(mode)


async def submitted_reviews(session: AsyncSession, app_id: int, step: str) -> int:
    """How many reviews of an application were submitted at a step."""
    n = await session.scalar(
        select(func.count()).where(
            Review.application_id == app_id,
            Review.step == step,
            Review.state == ReviewState.SUBMITTED.value,
        )
    )
    return int(n or 0)


async def _require_reviews(
    session: AsyncSession, app: Application, spec: ModeSpec, step: str
) -> None:
    need = spec.needs(step)
    have = await submitted_reviews(session, app.id, step)
    if have < need:
        raise ReviewsMissing(
            f"{spec.name} needs {need} submitted {step} review(s) here; {have} so far. "
            "Assign reviewers and wait for their reviews.",
            needed=need,
            submitted=have,
        )


async def start_assessment(session: AsyncSession, actor: User, app_id: int) -> Application:
    """Move a checked application into technical assessment."""
    require_assessor(actor)
    app = await get_application(session, actor, app_id, for_update=True)
    await refuse_conflict(session, actor, app, role="assess")
    await workflow.move(app, "start_assessment", session=session)
    return app


async def send_to_peer_review(session: AsyncSession, actor: User, app_id: int) -> Application:
    """Close the technical assessment and open peer review (modes with a peer step)."""
    require_assessor(actor)
    app = await get_application(session, actor, app_id, for_update=True)
    await refuse_conflict(session, actor, app, role="assess")
    workflow.target_of(app.state, "send_to_peer_review")
    spec = await _spec(session, app)
    if not spec.has_step("peer"):
        raise workflow.IllegalTransition(
            f"{spec.name} has no peer review; decide after the technical assessment.",
            state=app.state,
            allowed=["accept", "reject", "request_changes"],
        )
    await _require_reviews(session, app, spec, "technical")
    await workflow.move(app, "send_to_peer_review", session=session)
    return app


async def request_changes(
    session: AsyncSession, actor: User, app_id: int, *, reason: str
) -> Application:
    """Send an application back to its applicant with what to change."""
    require_assessor(actor)
    app = await get_application(session, actor, app_id, for_update=True)
    await refuse_conflict(session, actor, app, role="assess")
    await workflow.move(app, "request_changes", session=session, reason=reason)
    project = await session.get(Project, app.project_id)
    assert project is not None
    await notifications.changes_requested(session, app=app, project=project, reason=reason)
    return app


async def _check_ready(session: AsyncSession, app: Application, spec: ModeSpec) -> None:
    if app.state == S.CHECKED and spec.review_steps:
        raise ReviewsMissing(
            f"{spec.name} applications are assessed before a decision; start the assessment first.",
            needed=spec.review_steps[0].min_reviews,
            submitted=0,
        )
    if app.state == S.TECHNICAL_ASSESSMENT:
        if spec.has_step("peer"):
            raise ReviewsMissing(
                f"{spec.name} applications go to peer review before a decision; "
                "send it to peer review.",
                needed=spec.needs("peer"),
                submitted=0,
            )
        await _require_reviews(session, app, spec, "technical")
    if app.state == S.PEER_REVIEW:
        await _require_reviews(session, app, spec, "peer")


async def _set_granted(
    session: AsyncSession, app: Application, granted: dict[str, Decimal]
) -> None:
    rows = (
        await session.execute(
            select(ApplicationItem, Partition.key)
            .join(Partition, Partition.id == ApplicationItem.partition_id)
            .where(ApplicationItem.application_id == app.id)
        )
    ).all()
    keys = {k for _, k in rows}
    unknown = sorted(set(granted) - keys)
    if unknown:
        raise InvalidInput(
            f"Granted amounts name partitions not asked for: {', '.join(unknown)}; "
            f"asked: {', '.join(sorted(keys))}."
        )
    for item, key in rows:
        amount = granted.get(key, item.requested)
        if amount <= 0 or amount > item.requested:
            raise InvalidInput(
                f"The amount granted on {key} must be above 0 "
                f"and at most the {item.requested} asked."
            )
        item.granted = amount


async def decide(
    session: AsyncSession,
    actor: User | None,
    app: Application,
    *,
    outcome: str,
    reason: str,
    granted: dict[str, Decimal],
    allocate: bool,
) -> Application:
    """Accept (possibly with reduced amounts) or reject; accepting allocates unless told not to."""
    spec = await _spec(session, app)
    action = "accept" if outcome == "accept" else "reject"
    workflow.target_of(app.state, action)
    if actor is not None:
        _require_decider(actor, spec)
        await refuse_conflict(session, actor, app, role="decide")
        await _check_ready(session, app, spec)
    if action == "accept":
        await _set_granted(session, app, granted)
    elif granted:
        raise InvalidInput("A rejection grants nothing; leave 'granted' empty.")
    await workflow.move(
        app, action, session=session, reason=reason, granted={k: str(v) for k, v in granted.items()}
    )
    app.decided_at = utcnow()
    app.decided_by_id = actor.id if actor else None
    project = await session.get(Project, app.project_id)
    assert project is not None
    await notifications.decision(
        session,
        app=app,
        project=project,
        mode_name=spec.name,
        accepted=action == "accept",
        reason=reason,
    )
    if action == "accept" and allocate:
        await allocate_application(session, app, spec=spec)
    return app


async def decide_application(
    session: AsyncSession,
    actor: User,
    app_id: int,
    *,
    outcome: str,
    reason: str,
    granted: dict[str, Decimal],
    allocate: bool = True,
) -> Application:
    """Staff decision on an application (409 when its required reviews are missing)."""
    require_assessor(actor)
    app = await get_application(session, actor, app_id, for_update=True)
    return await decide(
        session, actor, app, outcome=outcome, reason=reason, granted=granted, allocate=allocate
    )


async def allocate_accepted(session: AsyncSession, actor: User, app_id: int) -> Application:
    """Create the allocations of an accepted application that was decided without them."""
    require_assessor(actor)
    app = await get_application(session, actor, app_id, for_update=True)
    await refuse_conflict(session, actor, app, role="decide")
    workflow.target_of(app.state, "allocate")
    await allocate_application(session, app, spec=await _spec(session, app))
    return app
