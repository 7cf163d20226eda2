"""Staff access pages: the review queue and form, the time-to-access dashboard."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aifhub.access import dashboard, reviews
from aifhub.access.modes import mode_spec
from aifhub.access.read import application_out
from aifhub.access.web_common import access_page, act, synced_modes
from aifhub.core.db import DbSession
from aifhub.core.errors import InvalidInput, NotFound
from aifhub.core.i18n import N_
from aifhub.core.validation import Id
from aifhub.identity import CsrfForm, StaffPageUser

router = APIRouter(include_in_schema=False)


@router.get("/staff/reviews")
async def review_queue(
    request: Request, db: DbSession, user: StaffPageUser, state: str = ""
) -> Response:
    """My reviews, to do and done."""
    rows = await reviews.list_reviews(db, user, mine=True, state=state or None)
    return access_page(request, "access/reviews.html", rows=rows, state=state)


@router.get("/staff/reviews/{review_id}")
async def review_form(
    request: Request, db: DbSession, user: StaffPageUser, review_id: Id
) -> Response:
    """The review form: scores 1-5 per criterion, comments, or a declared conflict."""
    review, app, reviewer = await reviews.review_row(db, review_id)
    if reviewer.id != user.id:
        raise NotFound(f"No review {review_id} assigned to you.")
    spec = await mode_spec(db, app.mode_id)
    return access_page(
        request,
        "access/review_form.html",
        review=review,
        a=await application_out(db, app),
        mode=spec,
        criteria=spec.criteria,
        # The form is offered when a submission would be accepted (the service's own rule).
        open_now=reviews.review_refusal(review, app) is None,
    )


def _scores(form: Any, criteria: list[str]) -> dict[str, int]:
    out = {}
    for c in criteria:
        value = str(form.get(f"score:{c}") or "")
        if not value.isdigit():
            raise InvalidInput(f"Give a score from 1 to 5 for '{c}'.")
        out[c] = int(value)
    return out


@router.post("/staff/reviews/{review_id}/{action}")
async def review_action(
    request: Request,
    db: DbSession,
    user: StaffPageUser,
    review_id: Id,
    action: str,
    form: CsrfForm,
) -> Response:
    """Submit the review, or declare a conflict of interest."""
    review, app, _ = await reviews.review_row(db, review_id)
    criteria = (await mode_spec(db, app.mode_id)).criteria
    comment = str(form.get("comment") or "").strip()
    reason = str(form.get("reason") or "").strip()
    url = f"/staff/reviews/{review_id}"

    async def submit() -> Any:
        if len(comment) < 3:
            raise InvalidInput("Write a comment of at least 3 characters.")
        return await reviews.submit_review(
            db, user, review_id, scores=_scores(form, criteria), comment=comment
        )

    async def conflict() -> Any:
        if len(reason) < 3:
            raise InvalidInput("Say in a few words why you cannot review it.")
        return await reviews.declare_conflict(db, user, review_id, reason=reason)

    if action == "submit":
        return await act(request, db, url, submit, N_("Review submitted."))
    return await act(request, db, url, conflict, N_("Conflict of interest declared."))


@router.get("/staff/access")
async def access_dashboard_page(request: Request, db: DbSession, user: StaffPageUser) -> Response:
    """Time-to-access per mode: median, 90th percentile, late applications."""
    await synced_modes(request, db)
    board = await dashboard.access_dashboard(db, user)
    return access_page(request, "access/dashboard.html", board=board)
