"""Training, partners and talent pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aifhub.core.db import DbSession, attempt
from aifhub.core.errors import AppError
from aifhub.core.validation import Id
from aifhub.ecosystem import partners, talent, training
from aifhub.identity import CsrfForm, PageUser, list_orgs
from aifhub.web.render import gettext, redirect, render

router = APIRouter(include_in_schema=False)


async def _training_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    rows = await training.list_courses(db)
    counts = await training.seat_counts(db, [s.id for _, ss in rows for s in ss])
    mine = await training.my_enrolments(db, user)
    by_session = {e.session_id: (e, pos) for e, pos in mine if e.state != "cancelled"}
    return render(
        request,
        "ecosystem/training.html",
        status_code=status_code,
        rows=rows,
        counts=counts,
        mine=by_session,
        attended=[e for e, _ in mine if e.attended],
        staff=training.is_training_staff(user),
        error=error,
    )


@router.get("/training")
async def training_page(request: Request, db: DbSession, user: PageUser) -> Response:
    """Courses with their sessions, seats, and my enrolments."""
    return await _training_page(request, db, user)


@router.post("/training/sessions/{session_id}/enrol")
async def enrol(
    request: Request, db: DbSession, user: PageUser, session_id: Id, form: CsrfForm
) -> Response:
    """Enrol (or join the waiting list)."""
    try:
        async with attempt(db):
            e = await training.enrol(db, user, session_id)
    except AppError as exc:
        return await _training_page(request, db, user, exc.status, exc.detail)
    msg = (
        gettext(request, "You are enrolled.")
        if e.state == "enrolled"
        else gettext(request, "The session is full: you are on the waiting list.")
    )
    return redirect(request, "/training", msg)


@router.post("/training/enrolments/{enrolment_id}/cancel")
async def cancel(
    request: Request, db: DbSession, user: PageUser, enrolment_id: Id, form: CsrfForm
) -> Response:
    """Cancel an enrolment."""
    try:
        async with attempt(db):
            await training.cancel(db, user, enrolment_id)
    except AppError as exc:
        return await _training_page(request, db, user, exc.status, exc.detail)
    return redirect(request, "/training", gettext(request, "Enrolment cancelled."))


async def _roster_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    session_id: int,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    cs, course, started = await training.session_for_staff(db, user, session_id)
    rows = await training.roster(db, user, session_id)
    return render(
        request,
        "ecosystem/roster.html",
        status_code=status_code,
        cs=cs,
        course=course,
        started=started,
        rows=rows,
        error=error,
    )


@router.get("/training/sessions/{session_id}/roster")
async def roster(request: Request, db: DbSession, user: PageUser, session_id: Id) -> Response:
    """A session's roster: seats, then the waiting list in order; attendance (staff)."""
    return await _roster_page(request, db, user, session_id)


@router.post("/training/sessions/{session_id}/attendance")
async def attendance(
    request: Request, db: DbSession, user: PageUser, session_id: Id, form: CsrfForm
) -> Response:
    """Record who attended: the ticked people did, the other seat holders did not (staff)."""
    present = [int(v) for v in map(str, form.getlist("attended")) if v.isdigit()]
    try:
        async with attempt(db):
            await training.record_attendance(db, user, session_id, present=present)
    except AppError as exc:
        error = gettext(request, exc.detail)
        return await _roster_page(request, db, user, session_id, exc.status, error)
    msg = gettext(request, "Attendance recorded.")
    return redirect(request, f"/training/sessions/{session_id}/roster", msg)


@router.get("/training/certificates/{enrolment_id}")
async def certificate(
    request: Request, db: DbSession, user: PageUser, enrolment_id: Id
) -> Response:
    """A printable certificate of attendance."""
    e, person, cs, course = await training.certificate(db, user, enrolment_id)
    hours = round((cs.ends_at - cs.starts_at).total_seconds() / 3600, 1)
    return render(
        request,
        "ecosystem/certificate.html",
        e=e,
        person=person,
        cs=cs,
        course=course,
        hours=hours,
    )


async def _partners_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    status_code: int = 200,
    error: str | None = None,
    kind: str | None = None,
    sector: str | None = None,
) -> Response:
    rows = await partners.list_partners(db, kind=kind or None, sector=sector or None)
    orgs, _ = await list_orgs(db, user, limit=100, offset=0)
    intros = await partners.list_introductions(db, user)
    return render(
        request,
        "ecosystem/partners.html",
        status_code=status_code,
        rows=rows,
        orgs=[(o.slug, o.name) for o, role in orgs if role],
        intros=intros,
        error=error,
        kind=kind or "",
        sector=sector or "",
    )


@router.get("/partners")
async def partners_page(
    request: Request, db: DbSession, user: PageUser, kind: str = "", sector: str = ""
) -> Response:
    """Incubators and funds, and my introduction requests."""
    return await _partners_page(request, db, user, kind=kind, sector=sector)


@router.post("/partners/{slug}/introduce")
async def introduce(
    request: Request, db: DbSession, user: PageUser, slug: str, form: CsrfForm
) -> Response:
    """Ask a partner for an introduction."""
    pitch = str(form.get("pitch") or "").strip()
    org = str(form.get("organisation") or "")
    try:
        if len(pitch) < 20:
            raise AppError("Write a pitch of at least 20 characters.")
        async with attempt(db):
            await partners.request_introduction(db, user, slug, organisation=org, pitch=pitch)
    except AppError as exc:
        return await _partners_page(request, db, user, exc.status, exc.detail)
    return redirect(request, "/partners", gettext(request, "Introduction requested."))


@router.get("/talent")
async def talent_page(request: Request, db: DbSession, user: PageUser) -> Response:
    """Open offers and the profiles of people who opted in."""
    return render(
        request,
        "ecosystem/talent.html",
        offers=await talent.list_offers(db),
        profiles=await talent.list_profiles(db),
    )
