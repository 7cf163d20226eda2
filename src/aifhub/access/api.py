"""Access REST endpoints under /api/v1: HTTP only, the rules live in the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access import allocations, applications, dashboard, decisions, lookup, reviews
from aifhub.access.models import AccessMode
from aifhub.access.modes import get_mode, list_modes, modes_from_site, sync_modes
from aifhub.access.read import (
    allocation_read,
    application_out,
    application_read,
    mode_read,
    review_read,
)
from aifhub.core.db import DbSession
from aifhub.core.infra import get_infra
from aifhub.core.pagination import Pagination
from aifhub.core.validation import Id
from aifhub.identity import CurrentUser, StaffUser
from aifhub.schemas.access import (
    AccessModeRead,
    AllocationRead,
    AllocationStateIn,
    ApplicationCreate,
    ApplicationRead,
    ApplicationUpdate,
    ConflictIn,
    Dashboard,
    DecisionIn,
    ReasonIn,
    ReviewAssign,
    ReviewRead,
    ReviewSubmit,
)
from aifhub.schemas.page import Page

router = APIRouter(tags=["access"])


async def synced(request: Request, db: DbSession) -> AsyncSession:
    """The session, with the access modes table matching the site file."""
    specs = getattr(request.app.state, "access_mode_specs", None)
    if specs is None:
        infra = get_infra(request)
        specs = request.app.state.access_mode_specs = modes_from_site(
            infra.site, demo=infra.settings.demo
        )
    await sync_modes(db, specs)
    return db


Db = Annotated[AsyncSession, Depends(synced)]


# ---------------------------------------------------------------- modes


@router.get("/access-modes")
async def list_access_modes(db: Db) -> list[AccessModeRead]:
    """The open access modes: who may apply, for how much, how long, how fast."""
    return [mode_read(m) for m in await list_modes(db)]


@router.get("/access-modes/{slug}")
async def read_access_mode(db: Db, slug: str) -> AccessModeRead:
    """One access mode."""
    mode: AccessMode = await get_mode(db, slug)
    return mode_read(mode)


# ---------------------------------------------------------------- applications


@router.post("/applications", status_code=status.HTTP_201_CREATED)
async def create_application(db: Db, user: CurrentUser, body: ApplicationCreate) -> ApplicationRead:
    """Draft an application (a PI of the project); refused with the reasons when ineligible."""
    return await application_out(db, await applications.create_application(db, user, data=body))


@router.get("/applications")
async def list_applications(
    db: Db,
    user: CurrentUser,
    page: Pagination,
    project: str | None = None,
    mode: str | None = None,
    state: str | None = None,
) -> Page[ApplicationRead]:
    """Applications one may see (all, for staff), newest first."""
    rows, total = await applications.list_applications(
        db, user, limit=page.limit, offset=page.offset, project=project, mode=mode, state=state
    )
    return Page(
        items=[application_read(v) for v in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/applications/{app_id}")
async def read_application(db: Db, user: CurrentUser, app_id: Id) -> ApplicationRead:
    """One application, with its deadline and the actions its state allows."""
    return await application_out(db, await lookup.get_application(db, user, app_id))


@router.patch("/applications/{app_id}")
async def update_application(
    db: Db, user: CurrentUser, app_id: Id, body: ApplicationUpdate
) -> ApplicationRead:
    """Revise a draft or an application sent back for changes."""
    return await application_out(
        db, await applications.update_application(db, user, app_id, data=body)
    )


@router.post("/applications/{app_id}/submit")
async def submit_application(db: Db, user: CurrentUser, app_id: Id) -> ApplicationRead:
    """Submit or resubmit; the eligibility check runs at once."""
    return await application_out(db, await applications.submit_application(db, user, app_id))


@router.post("/applications/{app_id}/withdraw")
async def withdraw_application(db: Db, user: CurrentUser, app_id: Id) -> ApplicationRead:
    """Withdraw an application before its assessment."""
    return await application_out(db, await applications.withdraw_application(db, user, app_id))


@router.post("/applications/{app_id}/start-assessment")
async def start_assessment(db: Db, user: StaffUser, app_id: Id) -> ApplicationRead:
    """Open the technical assessment (staff)."""
    return await application_out(db, await decisions.start_assessment(db, user, app_id))


@router.post("/applications/{app_id}/peer-review")
async def send_to_peer_review(db: Db, user: StaffUser, app_id: Id) -> ApplicationRead:
    """Close the technical assessment and open peer review (staff)."""
    return await application_out(db, await decisions.send_to_peer_review(db, user, app_id))


@router.post("/applications/{app_id}/request-changes")
async def request_changes(db: Db, user: StaffUser, app_id: Id, body: ReasonIn) -> ApplicationRead:
    """Send an application back to its applicant with what to change (staff)."""
    return await application_out(
        db, await decisions.request_changes(db, user, app_id, reason=body.reason)
    )


@router.post("/applications/{app_id}/decision", operation_id="decide_application")
async def decide(db: Db, user: StaffUser, app_id: Id, body: DecisionIn) -> ApplicationRead:
    """Accept (possibly with reduced amounts) or reject, with reasons (staff)."""
    app = await decisions.decide_application(
        db,
        user,
        app_id,
        outcome=body.outcome,
        reason=body.reason,
        granted=body.granted,
        allocate=body.allocate,
    )
    return await application_out(db, app)


@router.post("/applications/{app_id}/allocate")
async def allocate(db: Db, user: StaffUser, app_id: Id) -> ApplicationRead:
    """Create the allocations of an application accepted without them (staff)."""
    return await application_out(db, await decisions.allocate_accepted(db, user, app_id))


# ---------------------------------------------------------------- reviews


@router.get("/applications/{app_id}/reviews")
async def list_application_reviews(db: Db, user: StaffUser, app_id: Id) -> list[ReviewRead]:
    """The reviews of an application (staff)."""
    return [
        review_read(*row) for row in await reviews.list_reviews(db, user, application_id=app_id)
    ]


@router.post("/applications/{app_id}/reviews", status_code=status.HTTP_201_CREATED)
async def assign_reviewer(db: Db, user: StaffUser, app_id: Id, body: ReviewAssign) -> ReviewRead:
    """Assign a reviewer at a step; refused for the applicant's own organisation (staff)."""
    review = await reviews.assign_reviewer(
        db, user, app_id, reviewer_email=body.reviewer, step=body.step
    )
    return review_read(*await reviews.review_row(db, review.id))


@router.get("/reviews")
async def list_my_reviews(
    db: Db,
    user: StaffUser,
    state: Annotated[str | None, Query(description="assigned, submitted, conflict")] = None,
) -> list[ReviewRead]:
    """One's review queue."""
    return [
        review_read(*row) for row in await reviews.list_reviews(db, user, mine=True, state=state)
    ]


@router.post("/reviews/{review_id}/submit")
async def submit_review(db: Db, user: StaffUser, review_id: Id, body: ReviewSubmit) -> ReviewRead:
    """Submit scores (1-5 per criterion) and comments."""
    await reviews.submit_review(db, user, review_id, scores=body.scores, comment=body.comment)
    return review_read(*await reviews.review_row(db, review_id))


@router.post("/reviews/{review_id}/conflict")
async def declare_conflict(db: Db, user: StaffUser, review_id: Id, body: ConflictIn) -> ReviewRead:
    """Decline a review for a conflict of interest."""
    await reviews.declare_conflict(db, user, review_id, reason=body.reason)
    return review_read(*await reviews.review_row(db, review_id))


# ---------------------------------------------------------------- allocations


@router.get("/allocations")
async def list_allocations(
    db: Db,
    user: CurrentUser,
    page: Pagination,
    project: str | None = None,
    state: str | None = None,
) -> Page[AllocationRead]:
    """Allocations of the projects one may see, with their balances."""
    rows, total = await allocations.list_allocations(
        db, user, limit=page.limit, offset=page.offset, project=project, state=state
    )
    return Page(
        items=[allocation_read(*r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/allocations/{allocation_id}")
async def read_allocation(db: Db, user: CurrentUser, allocation_id: Id) -> AllocationRead:
    """One allocation with its balance (granted, reserved, used, remaining)."""
    return allocation_read(*await allocations.get_allocation(db, user, allocation_id))


@router.post("/allocations/{allocation_id}/state")
async def set_allocation_state(
    db: Db, user: StaffUser, allocation_id: Id, body: AllocationStateIn
) -> AllocationRead:
    """Suspend or resume an allocation (staff admins)."""
    await allocations.set_suspended(
        db, user, allocation_id, suspend=body.action == "suspend", reason=body.reason
    )
    return allocation_read(*await allocations.get_allocation(db, user, allocation_id))


# ---------------------------------------------------------------- staff dashboard


@router.get("/staff/access-dashboard")
async def access_dashboard(db: Db, user: StaffUser) -> Dashboard:
    """Time-to-access per mode: median, 90th percentile, late count (constant query count)."""
    return await dashboard.access_dashboard(db, user)
