"""Applications: drafting, submitting, revising, withdrawing, and reading them back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import resources
from aifhub.access import notifications, workflow
from aifhub.access.deadlines import add_working_days, next_cutoff
from aifhub.access.decisions import decide, submitted_by_step
from aifhub.access.eligibility import Draft, check
from aifhub.access.errors import NotEligible
from aifhub.access.lookup import get_application
from aifhub.access.models import AccessMode, Allocation, Application, ApplicationItem
from aifhub.access.modes import ModeSpec, get_mode, spec_of
from aifhub.core import audit, context
from aifhub.core.db import utcnow
from aifhub.core.errors import InvalidInput, NotFound, PermissionDenied, about
from aifhub.identity import project_role, require_project_role, visible_projects
from aifhub.identity.models import Organisation, Project, User
from aifhub.resources import Partition
from aifhub.schemas.access import ApplicationCreate, ApplicationUpdate, ItemIn
from aifhub.schemas.enums.access import ApplicationState as S
from aifhub.schemas.enums.identity import ProjectRole

EDITABLE = (S.DRAFT.value, S.CHANGES_REQUESTED.value)
# Who the audit log names for a decision taken by the platform itself, and why it took it.
AUTO_DECIDER = "platform (automatic decision)"
AUTO_REASON = (
    "Decided automatically by the platform: the eligibility checks passed and {mode} "
    "grants the hours asked at once."
)


@dataclass
class AppView:
    """An application with what its read model needs (loaded in a constant number of queries)."""

    app: Application
    project: Project
    org: Organisation
    mode: AccessMode
    items: list[tuple[ApplicationItem, Partition]]
    fallbacks: list[Partition]
    # Submitted reviews per step (what the rule of next actions reads).
    submitted: dict[str, int] = field(default_factory=dict)


def is_late(app: Application, today: date) -> bool:
    """Past its due date: decided after it, or still open after it."""
    if app.due_date is None:
        return False
    if app.decided_at is not None:
        return app.decided_at.date() > app.due_date
    return app.state in workflow.OPEN_STATES and today > app.due_date


def due_date_for(spec: ModeSpec, submitted: date) -> date:
    """The decision deadline: n working days after submission (after the next cut-off if any)."""
    return add_working_days(next_cutoff(submitted, spec.cutoffs), spec.deadline_working_days)


async def _partitions(
    session: AsyncSession, keys: list[str], fallbacks: list[str]
) -> dict[str, Partition]:
    found = await resources.partitions_by_key(session, keys + fallbacks)
    missing = [k for k in keys + fallbacks if k not in found]
    if missing:
        known = await resources.usable_partition_keys(session)
        raise InvalidInput(
            f"Unknown partition(s): {', '.join(missing)}; known: {', '.join(known) or 'none'}.",
            field="items" if set(missing) & set(keys) else "fallback_partitions",
        )
    return found


async def _draft_of(
    session: AsyncSession,
    *,
    kind: str,
    duration: int,
    items: list[ItemIn],
    fallbacks: list[str],
    allocation_id: int | None,
) -> Draft:
    keys = [i.partition for i in items]
    if len(set(keys)) != len(keys):
        raise InvalidInput(
            "Each partition appears once in the requested items; merge the amounts.",
            field="items",
        )
    parts = await _partitions(session, keys, fallbacks)
    allocation = await session.get(Allocation, allocation_id) if allocation_id else None
    if allocation_id and allocation is None:
        raise NotFound(f"No allocation {allocation_id}.")
    return Draft(
        kind=kind,
        duration_months=duration,
        items=[(parts[i.partition], i.amount) for i in items],
        fallbacks=[parts[k] for k in dict.fromkeys(fallbacks)],
        allocation=allocation,
    )


async def _refuse_if_ineligible(
    session: AsyncSession, spec: ModeSpec, project: Project, draft: Draft
) -> None:
    org = await session.get(Organisation, project.org_id)
    assert org is not None
    failures = await check(session, spec=spec, project=project, org=org, draft=draft)
    if failures:
        raise NotEligible(" ".join(failures), failures=failures)


async def create_application(
    session: AsyncSession, actor: User, *, data: ApplicationCreate
) -> Application:
    """Draft an application (the project's PI); refused at once when it cannot be eligible."""
    with about("project"):
        project = await require_project_role(session, actor, data.project, [ProjectRole.PI])
    with about("mode"):
        mode = await get_mode(session, data.mode)
    spec = spec_of(mode)
    draft = await _draft_of(
        session,
        kind=data.kind,
        duration=data.duration_months,
        items=data.items,
        fallbacks=data.fallback_partitions,
        allocation_id=data.allocation_id,
    )
    await _refuse_if_ineligible(session, spec, project, draft)
    app = Application(
        project_id=project.id,
        mode_id=mode.id,
        kind=data.kind,
        allocation_id=data.allocation_id,
        state=S.DRAFT.value,
        title=data.title,
        technical_description=data.technical_description,
        datasets_models=data.datasets_models,
        sector=data.sector.value,
        duration_months=data.duration_months,
        fallback_partition_ids=[p.id for p in draft.fallbacks],
        created_by_id=actor.id,
    )
    session.add(app)
    await session.flush()
    for p, amount in draft.items:
        session.add(ApplicationItem(application_id=app.id, partition_id=p.id, requested=amount))
    await session.flush()
    await audit.record(
        session, "application.create", "application", app.id, mode=mode.slug, project=project.slug
    )
    return app


async def _require_pi(session: AsyncSession, actor: User, app: Application) -> Project:
    project = await session.get(Project, app.project_id)
    assert project is not None
    if await project_role(session, actor, project.id) != ProjectRole.PI:
        raise PermissionDenied(f"Only a PI of project '{project.slug}' can do this.")
    return project


async def _items_of(session: AsyncSession, app: Application) -> list[ApplicationItem]:
    return list(
        await session.scalars(
            select(ApplicationItem).where(ApplicationItem.application_id == app.id)
        )
    )


async def update_application(
    session: AsyncSession, actor: User, app_id: int, *, data: ApplicationUpdate
) -> Application:
    """Revise a draft or an application sent back for changes (the project's PI)."""
    app = await get_application(session, actor, app_id)
    project = await _require_pi(session, actor, app)
    if app.state not in EDITABLE:
        raise workflow.IllegalTransition(
            f"An application in state '{app.state}' cannot be changed; only drafts and "
            "applications sent back for changes can.",
            state=app.state,
            allowed=workflow.allowed_actions(app.state),
        )
    mode = await session.get(AccessMode, app.mode_id)
    assert mode is not None
    items = data.items
    if items is None:
        rows = await session.execute(
            select(Partition.key, ApplicationItem.requested)
            .join(Partition, Partition.id == ApplicationItem.partition_id)
            .where(ApplicationItem.application_id == app.id)
        )
        items = [ItemIn(partition=k, amount=a) for k, a in rows.all()]
    fallbacks = data.fallback_partitions
    if fallbacks is None:
        fb = await session.scalars(
            select(Partition).where(Partition.id.in_(app.fallback_partition_ids))
        )
        fallbacks = [p.key for p in fb]
    draft = await _draft_of(
        session,
        kind=app.kind,
        duration=data.duration_months or app.duration_months,
        items=items,
        fallbacks=fallbacks,
        allocation_id=app.allocation_id,
    )
    await _refuse_if_ineligible(session, spec_of(mode), project, draft)
    changes = data.model_dump(
        exclude_unset=True, exclude_none=True, exclude={"items", "fallback_partitions"}, mode="json"
    )
    for key, value in changes.items():
        setattr(app, key, value)
    app.fallback_partition_ids = [p.id for p in draft.fallbacks]
    if data.items is not None:
        for old in await _items_of(session, app):
            await session.delete(old)
        await session.flush()
        for p, amount in draft.items:
            session.add(ApplicationItem(application_id=app.id, partition_id=p.id, requested=amount))
    app.updated_at = utcnow()
    app.revision += 1
    await session.flush()
    await audit.record(
        session,
        "application.update",
        "application",
        app.id,
        fields=sorted(changes) + (["items"] if data.items else []),
    )
    return app


async def submit_application(session: AsyncSession, actor: User, app_id: int) -> Application:
    """Submit or resubmit; checked at once, refused with the failures when ineligible."""
    app = await get_application(session, actor, app_id, for_update=True)
    project = await _require_pi(session, actor, app)
    action = "resubmit" if app.state == S.CHANGES_REQUESTED else "submit"
    workflow.target_of(app.state, action)  # 409 before any work when the state forbids it
    mode = await session.get(AccessMode, app.mode_id)
    assert mode is not None
    spec = spec_of(mode)
    rows = await session.execute(
        select(Partition, ApplicationItem.requested)
        .join(ApplicationItem, ApplicationItem.partition_id == Partition.id)
        .where(ApplicationItem.application_id == app.id)
    )
    fallbacks = list(
        await session.scalars(select(Partition).where(Partition.id.in_(app.fallback_partition_ids)))
    )
    allocation = await session.get(Allocation, app.allocation_id) if app.allocation_id else None
    draft = Draft(
        app.kind, app.duration_months, [(p, a) for p, a in rows.all()], fallbacks, allocation
    )
    await _refuse_if_ineligible(session, spec, project, draft)
    now = utcnow()
    await workflow.move(app, action, session=session)
    if app.submitted_at is None:
        app.submitted_at = now
    # The deadline runs from the latest submission: the clock stops while the applicant revises.
    app.due_date = due_date_for(spec, now.date())
    await workflow.move(app, "check", session=session, reason="")
    await notifications.submission_receipt(session, app=app, project=project, mode_name=spec.name)
    if spec.auto_decide:  # the automatic checks are the whole assessment
        await decide_automatically(session, app, spec)
    return app


async def decide_automatically(session: AsyncSession, app: Application, spec: ModeSpec) -> None:
    """Accept and allocate at once (modes with `auto_decide`): audited as the platform's act."""
    ctx = context.current()
    applicant = (ctx.actor_id, ctx.actor_label)
    context.set_actor(None, AUTO_DECIDER)
    try:
        await decide(
            session,
            None,
            app,
            outcome="accept",
            reason=AUTO_REASON.format(mode=spec.name),
            granted={},
            allocate=True,
        )
    finally:
        context.set_actor(*applicant)


async def withdraw_application(session: AsyncSession, actor: User, app_id: int) -> Application:
    """Withdraw an application that is not yet under assessment (the project's PI)."""
    app = await get_application(session, actor, app_id, for_update=True)
    await _require_pi(session, actor, app)
    await workflow.move(app, "withdraw", session=session)
    return app


def _filtered(
    actor: User, *, project: str | None, mode: str | None, state: str | None
) -> Select[Any]:
    visible = visible_projects(actor).with_only_columns(Project.id)
    query = select(Application).where(Application.project_id.in_(visible))
    if project:
        query = query.where(
            Application.project_id
            == select(Project.id).where(Project.slug == project).scalar_subquery()
        )
    if mode:
        query = query.where(
            Application.mode_id
            == select(AccessMode.id).where(AccessMode.slug == mode).scalar_subquery()
        )
    if state:
        if state not in workflow.ALL_STATES:
            raise InvalidInput(
                f"Unknown state '{state}'; use one of: {', '.join(workflow.ALL_STATES)}."
            )
        query = query.where(Application.state == state)
    return query


async def list_applications(
    session: AsyncSession,
    actor: User,
    *,
    limit: int,
    offset: int,
    project: str | None = None,
    mode: str | None = None,
    state: str | None = None,
) -> tuple[list[AppView], int]:
    """Applications the actor may see, newest first, with their details (four queries)."""
    base = _filtered(actor, project=project, mode=mode, state=state)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    apps = list(
        await session.scalars(base.order_by(Application.id.desc()).limit(limit).offset(offset))
    )
    return await views(session, apps), int(total or 0)


async def views(session: AsyncSession, apps: list[Application]) -> list[AppView]:
    """Read models: projects, modes, items, partitions and review counts in four queries."""
    if not apps:
        return []
    ids = [a.id for a in apps]
    heads = await session.execute(
        select(Application.id, Project, Organisation, AccessMode)
        .join(Project, Project.id == Application.project_id)
        .join(Organisation, Organisation.id == Project.org_id)
        .join(AccessMode, AccessMode.id == Application.mode_id)
        .where(Application.id.in_(ids))
    )
    head = {i: (p, o, m) for i, p, o, m in heads.all()}
    item_rows = await session.execute(
        select(ApplicationItem, Partition)
        .join(Partition, Partition.id == ApplicationItem.partition_id)
        .where(ApplicationItem.application_id.in_(ids))
        .order_by(ApplicationItem.id)
    )
    items: dict[int, list[tuple[ApplicationItem, Partition]]] = {i: [] for i in ids}
    for item, part in item_rows.all():
        items[item.application_id].append((item, part))
    fb_ids = {i for a in apps for i in a.fallback_partition_ids}
    fbs = (
        {p.id: p for p in await session.scalars(select(Partition).where(Partition.id.in_(fb_ids)))}
        if fb_ids
        else {}
    )
    counts = await submitted_by_step(session, ids)
    out = []
    for a in apps:
        p, o, m = head[a.id]
        fallbacks = [fbs[i] for i in a.fallback_partition_ids if i in fbs]
        out.append(AppView(a, p, o, m, items[a.id], fallbacks, counts.get(a.id, {})))
    return out


def total_requested(items: list[tuple[ApplicationItem, Partition]]) -> Decimal:
    """Sum of the hours asked (all units together: for display only)."""
    return sum((i.requested for i, _ in items), Decimal(0))
