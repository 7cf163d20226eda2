"""Staff actions on applications: assessment steps, changes requested, decisions."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access import notifications, progress, workflow
from aifhub.access.allocations import allocate_application
from aifhub.access.conflicts import refuse_conflict
from aifhub.access.lookup import get_application
from aifhub.access.models import AccessMode, Application, ApplicationItem, Review
from aifhub.access.modes import ModeSpec, spec_of
from aifhub.access.progress import Progress
from aifhub.core.db import utcnow
from aifhub.core.errors import InvalidInput, PermissionDenied
from aifhub.identity.models import Project, User
from aifhub.resources import Partition
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
    return (await submitted_by_step(session, [app_id])).get(app_id, {}).get(step, 0)


async def submitted_by_step(session: AsyncSession, app_ids: list[int]) -> dict[int, dict[str, int]]:
    """Submitted reviews per application and step (one query for any number of applications)."""
    if not app_ids:
        return {}
    rows = await session.execute(
        select(Review.application_id, Review.step, func.count())
        .where(Review.application_id.in_(app_ids), Review.state == ReviewState.SUBMITTED.value)
        .group_by(Review.application_id, Review.step)
    )
    out: dict[int, dict[str, int]] = {}
    for app_id, step, n in rows.all():
        out.setdefault(app_id, {})[step] = int(n)
    return out


async def progress_of(session: AsyncSession, app: Application, spec: ModeSpec) -> Progress:
    """The application's state, mode and submitted reviews, as the rule of actions reads them."""
    counts = await submitted_by_step(session, [app.id])
    return Progress(app.state, spec, counts.get(app.id, {}))


async def start_assessment(session: AsyncSession, actor: User, app_id: int) -> Application:
    """Move a checked application into technical assessment."""
    require_assessor(actor)
    app = await get_application(session, actor, app_id, for_update=True)
    await refuse_conflict(session, actor, app, role="assess")
    progress.check(await progress_of(session, app, await _spec(session, app)), "start_assessment")
    await workflow.move(app, "start_assessment", session=session)
    return app


async def send_to_peer_review(session: AsyncSession, actor: User, app_id: int) -> Application:
    """Close the technical assessment and open peer review (modes with a peer step)."""
    require_assessor(actor)
    app = await get_application(session, actor, app_id, for_update=True)
    await refuse_conflict(session, actor, app, role="assess")
    progress.check(
        await progress_of(session, app, await _spec(session, app)), "send_to_peer_review"
    )
    await workflow.move(app, "send_to_peer_review", session=session)
    return app


async def request_changes(
    session: AsyncSession, actor: User, app_id: int, *, reason: str
) -> Application:
    """Send an application back to its applicant with what to change."""
    require_assessor(actor)
    app = await get_application(session, actor, app_id, for_update=True)
    await refuse_conflict(session, actor, app, role="assess")
    progress.check(await progress_of(session, app, await _spec(session, app)), "request_changes")
    await workflow.move(app, "request_changes", session=session, reason=reason)
    project = await session.get(Project, app.project_id)
    assert project is not None
    await notifications.changes_requested(session, app=app, project=project, reason=reason)
    return app


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
        progress.check(await progress_of(session, app, spec), action)
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
    progress.check(await progress_of(session, app, await _spec(session, app)), "allocate")
    await allocate_application(session, app, spec=await _spec(session, app))
    return app
