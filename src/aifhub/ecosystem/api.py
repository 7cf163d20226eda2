"""Training REST endpoints under /api/v1 (partners and talents live in api_partners.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from aifhub.core.db import DbSession
from aifhub.core.infra import get_infra
from aifhub.core.validation import Id
from aifhub.ecosystem import training
from aifhub.ecosystem.models import Course, CourseSession, Enrolment
from aifhub.identity import CurrentUser
from aifhub.schemas import ecosystem as schemas

router = APIRouter(tags=["training"])


def _session(cs: CourseSession, counts: dict[str, int] | None = None) -> schemas.SessionRead:
    counts = counts or {}
    return schemas.SessionRead.model_validate(cs).model_copy(
        update={"enrolled": counts.get("enrolled", 0), "waitlisted": counts.get("waitlisted", 0)}
    )


def _course(c: Course, sessions: list[schemas.SessionRead]) -> schemas.CourseRead:
    return schemas.CourseRead.model_validate(c).model_copy(update={"sessions": sessions})


def _enrolment(e: Enrolment, pos: int | None = None) -> schemas.EnrolmentRead:
    return schemas.EnrolmentRead.model_validate(e).model_copy(update={"waitlist_position": pos})


@router.get("/training/courses")
async def list_courses(
    db: DbSession, user: CurrentUser, q: str | None = None, upcoming_only: bool = True
) -> list[schemas.CourseRead]:
    """Courses with their upcoming sessions and seats taken."""
    rows = await training.list_courses(db, q=q, upcoming_only=upcoming_only)
    counts = await training.seat_counts(db, [s.id for _, ss in rows for s in ss])
    return [_course(c, [_session(s, counts[s.id]) for s in ss]) for c, ss in rows]


@router.get("/training/courses/{slug}")
async def read_course(
    db: DbSession, user: CurrentUser, slug: str, upcoming_only: bool = False
) -> schemas.CourseRead:
    """One course with its sessions (all of them by default) and seats taken."""
    c, ss = await training.course_with_sessions(db, slug, upcoming_only=upcoming_only)
    counts = await training.seat_counts(db, [s.id for s in ss])
    return _course(c, [_session(s, counts[s.id]) for s in ss])


@router.post("/training/courses", status_code=status.HTTP_201_CREATED)
async def create_course(
    db: DbSession, user: CurrentUser, body: schemas.CourseCreate
) -> schemas.CourseRead:
    """Add a course (training staff)."""
    return _course(await training.create_course(db, user, data=body), [])


@router.post("/training/courses/{slug}/sessions", status_code=status.HTTP_201_CREATED)
async def add_session(
    db: DbSession, user: CurrentUser, slug: str, body: schemas.SessionCreate
) -> schemas.SessionRead:
    """Schedule a session of a course (training staff)."""
    return _session(await training.add_session(db, user, slug, data=body))


@router.post("/training/sessions/{session_id}/enrolments", status_code=status.HTTP_201_CREATED)
async def enrol(db: DbSession, user: CurrentUser, session_id: Id) -> schemas.EnrolmentRead:
    """Enrol in a session: a seat, or the waiting list when it is full."""
    e = await training.enrol(db, user, session_id)
    mine = dict((x.id, p) for x, p in await training.my_enrolments(db, user))
    return _enrolment(e, mine.get(e.id))


@router.get("/training/enrolments")
async def my_enrolments(db: DbSession, user: CurrentUser) -> list[schemas.EnrolmentRead]:
    """One's enrolments, with waiting-list positions."""
    return [_enrolment(e, p) for e, p in await training.my_enrolments(db, user)]


@router.post("/training/enrolments/{enrolment_id}/cancel")
async def cancel(db: DbSession, user: CurrentUser, enrolment_id: Id) -> schemas.EnrolmentRead:
    """Cancel an enrolment; the first person waiting takes the seat."""
    return _enrolment(await training.cancel(db, user, enrolment_id))


@router.get("/training/sessions/{session_id}/roster")
async def roster(db: DbSession, user: CurrentUser, session_id: Id) -> list[schemas.EnrolmentRead]:
    """Who is enrolled and waiting on a session, with names and e-mails (training staff)."""
    return [
        _enrolment(e).model_copy(update={"name": u.name, "email": u.email})
        for e, u in await training.roster(db, user, session_id)
    ]


@router.post("/training/sessions/{session_id}/attendance")
async def attendance(
    db: DbSession, user: CurrentUser, session_id: Id, body: schemas.AttendanceIn
) -> list[schemas.EnrolmentRead]:
    """Record attendance (training staff)."""
    rows = await training.mark_attendance(
        db, user, session_id, user_ids=body.user_ids, attended=body.attended
    )
    return [_enrolment(e) for e in rows]


@router.get("/training/enrolments/{enrolment_id}/certificate")
async def certificate(
    request: Request, db: DbSession, user: CurrentUser, enrolment_id: Id
) -> schemas.CertificateRead:
    """The certificate of attendance (printable page: /training/certificates/{id})."""
    e, person, cs, course = await training.certificate(db, user, enrolment_id)
    return schemas.CertificateRead(
        enrolment_id=e.id,
        participant=person.name,
        course=course.title,
        level=course.level,
        starts_at=cs.starts_at,
        ends_at=cs.ends_at,
        format=cs.format,
        location=cs.location,
        hours=round((cs.ends_at - cs.starts_at).total_seconds() / 3600, 1),
        factory=get_infra(request).site.factory_name,
    )
