"""Training: courses, sessions, enrolment with a waiting list, attendance, certificates.

Seats are counted under a lock on the session row (`SELECT ... FOR UPDATE` on PostgreSQL),
so concurrent enrolments never overbook, and a cancellation promotes the first person of
the waiting list in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, NotFound, PermissionDenied
from aifhub.core.mail import queue_notice
from aifhub.ecosystem.errors import SessionFull
from aifhub.ecosystem.models import Course, CourseSession, Enrolment
from aifhub.ecosystem.notifications import ENROLLED, PROMOTED, WAITLISTED
from aifhub.identity.models import User
from aifhub.schemas import ecosystem as schemas
from aifhub.schemas.enums.ecosystem import EnrolmentState
from aifhub.schemas.enums.identity import StaffRole

E = EnrolmentState


def is_training_staff(user: User) -> bool:
    """Training is run by the support desk and admins."""
    return user.has_role(StaffRole.SUPPORT)


def _require_staff(actor: User) -> None:
    if not is_training_staff(actor):
        raise PermissionDenied("Only training staff (support desk, admins) can do this.")


async def create_course(
    session: AsyncSession, actor: User, *, data: schemas.CourseCreate
) -> Course:
    """Add a course to the catalogue of training (staff)."""
    _require_staff(actor)
    if await session.scalar(select(Course.id).where(Course.slug == data.slug)):
        raise Conflict(f"The course slug '{data.slug}' is taken; choose another.")
    course = Course(**data.model_dump(mode="json"))
    session.add(course)
    await session.flush()
    await audit.record(session, "course.create", "course", course.slug)
    return course


async def get_course(session: AsyncSession, slug: str) -> Course:
    """A course by slug."""
    course = await session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound(f"No course '{slug}'.")
    return course


async def add_session(
    session: AsyncSession, actor: User, slug: str, *, data: schemas.SessionCreate
) -> CourseSession:
    """Schedule a session of a course (staff)."""
    _require_staff(actor)
    course = await get_course(session, slug)
    cs = CourseSession(course_id=course.id, **data.model_dump(mode="python"))
    cs.format = data.format.value
    session.add(cs)
    await session.flush()
    await audit.record(session, "course.session_add", "course", course.slug, session_id=cs.id)
    return cs


async def seat_counts(
    session: AsyncSession, session_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Enrolled and waitlisted counts per session: one query."""
    out: dict[int, dict[str, int]] = {i: {E.ENROLLED: 0, E.WAITLISTED: 0} for i in session_ids}
    if not session_ids:
        return out
    rows = await session.execute(
        select(Enrolment.session_id, Enrolment.state, func.count())
        .where(Enrolment.session_id.in_(session_ids), Enrolment.state != E.CANCELLED.value)
        .group_by(Enrolment.session_id, Enrolment.state)
    )
    for sid, state, n in rows.all():
        out[sid][state] = int(n)
    return out


async def list_courses(
    session: AsyncSession, *, q: str | None = None, upcoming_only: bool = True
) -> list[tuple[Course, list[CourseSession]]]:
    """Courses with their (upcoming) sessions: two queries."""
    query = select(Course).order_by(Course.title)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            func.lower(Course.title).like(like) | func.lower(Course.summary).like(like)
        )
    courses = list(await session.scalars(query))
    sq = select(CourseSession).where(CourseSession.course_id.in_([c.id for c in courses]))
    if upcoming_only:
        sq = sq.where(CourseSession.starts_at > utcnow())
    by_course: dict[int, list[CourseSession]] = {c.id: [] for c in courses}
    for cs in await session.scalars(sq.order_by(CourseSession.starts_at)):
        by_course[cs.course_id].append(cs)
    return [(c, by_course[c.id]) for c in courses]


async def course_with_sessions(
    session: AsyncSession, slug: str, *, upcoming_only: bool = False
) -> tuple[Course, list[CourseSession]]:
    """A course by slug with its sessions (all, or the upcoming ones), earliest first."""
    course = await get_course(session, slug)
    sq = select(CourseSession).where(CourseSession.course_id == course.id)
    if upcoming_only:
        sq = sq.where(CourseSession.starts_at > utcnow())
    return course, list(await session.scalars(sq.order_by(CourseSession.starts_at)))


async def _locked_session(session: AsyncSession, session_id: int) -> CourseSession:
    cs = await session.scalar(
        select(CourseSession)
        .where(CourseSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if cs is None:
        raise NotFound(f"No training session {session_id}.")
    return cs


async def _enrolled_count(session: AsyncSession, session_id: int) -> int:
    n = await session.scalar(
        select(func.count()).where(
            Enrolment.session_id == session_id, Enrolment.state == E.ENROLLED.value
        )
    )
    return int(n or 0)


async def enrol(session: AsyncSession, actor: User, session_id: int) -> Enrolment:
    """Take a seat, or a place on the waiting list when the session is full."""
    cs = await _locked_session(session, session_id)
    now = utcnow()
    if cs.starts_at <= now:
        raise Conflict("This session has already started; choose a later session.")
    existing = await session.scalar(
        select(Enrolment)
        .where(Enrolment.session_id == cs.id, Enrolment.user_id == actor.id)
        .execution_options(populate_existing=True)
    )
    if existing is not None and existing.state != E.CANCELLED:
        where = "enrolled in" if existing.state == E.ENROLLED else "on the waiting list of"
        raise Conflict(f"You are already {where} this session.")
    if await _enrolled_count(session, cs.id) < cs.seats:
        state = E.ENROLLED
    elif cs.waitlist_enabled:
        state = E.WAITLISTED
    else:
        raise SessionFull(
            f"All {cs.seats} seats of this session are taken and it has no waiting list; "
            "choose another session."
        )
    if existing is None:
        existing = Enrolment(session_id=cs.id, user_id=actor.id)
        session.add(existing)
    existing.state, existing.queued_at = state.value, now
    existing.cancelled_at = existing.promoted_at = None
    existing.attended = False
    await session.flush()
    await audit.record(session, "training.enrol", "course_session", cs.id, state=state.value)
    course = await session.get(Course, cs.course_id)
    title = course.title if course else "a course"
    await queue_notice(
        session,
        ENROLLED if state == E.ENROLLED else WAITLISTED,
        to=actor.email,
        enrolment=existing,
        title=title,
        cs=cs,
        stamp=int(now.timestamp()),
    )
    return existing


async def _visible_enrolment(session: AsyncSession, actor: User, enrolment_id: int) -> Enrolment:
    e = await session.get(Enrolment, enrolment_id)
    if e is None or (e.user_id != actor.id and not is_training_staff(actor)):
        raise NotFound(f"No enrolment {enrolment_id} of yours.")
    return e


async def cancel(session: AsyncSession, actor: User, enrolment_id: int) -> Enrolment:
    """Give up a seat (or a waiting-list place); the first person waiting gets the seat."""
    e = await _visible_enrolment(session, actor, enrolment_id)
    cs = await _locked_session(session, e.session_id)
    await session.refresh(e)  # re-read under the lock: a concurrent cancel may have won
    if e.state == E.CANCELLED:
        raise Conflict("This enrolment is already cancelled.")
    was, now = e.state, utcnow()
    e.state, e.cancelled_at = E.CANCELLED.value, now
    await session.flush()
    await audit.record(session, "training.cancel", "course_session", cs.id, enrolment_id=e.id)
    if was == E.ENROLLED:
        await _promote(session, cs)
    return e


async def _promote(session: AsyncSession, cs: CourseSession) -> Enrolment | None:
    if await _enrolled_count(session, cs.id) >= cs.seats:
        return None
    nxt = await session.scalar(
        select(Enrolment)
        .where(Enrolment.session_id == cs.id, Enrolment.state == E.WAITLISTED.value)
        .order_by(Enrolment.queued_at, Enrolment.id)
        .limit(1)
    )
    if nxt is None:
        return None
    now = utcnow()
    nxt.state, nxt.promoted_at = E.ENROLLED.value, now
    await session.flush()
    await audit.record(session, "training.promote", "course_session", cs.id, enrolment_id=nxt.id)
    user = await session.get(User, nxt.user_id)
    if user:
        await queue_notice(
            session, PROMOTED, to=user.email, enrolment=nxt, cs=cs, stamp=int(now.timestamp())
        )
    return nxt


async def my_enrolments(session: AsyncSession, actor: User) -> list[tuple[Enrolment, int | None]]:
    """One's enrolments with the waiting-list position of those waiting."""
    rows = list(
        await session.scalars(
            select(Enrolment).where(Enrolment.user_id == actor.id).order_by(Enrolment.id)
        )
    )
    out = []
    for e in rows:
        pos = None
        if e.state == E.WAITLISTED:
            ahead = await session.scalar(
                select(func.count()).where(
                    Enrolment.session_id == e.session_id,
                    Enrolment.state == E.WAITLISTED.value,
                    (Enrolment.queued_at < e.queued_at)
                    | ((Enrolment.queued_at == e.queued_at) & (Enrolment.id < e.id)),
                )
            )
            pos = int(ahead or 0) + 1
        out.append((e, pos))
    return out


async def roster(
    session: AsyncSession, actor: User, session_id: int
) -> list[tuple[Enrolment, User]]:
    """Everyone on a session, seats first then the waiting list in order (staff)."""
    _require_staff(actor)
    rows = await session.execute(
        select(Enrolment, User)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id == session_id)
        .order_by(Enrolment.state, Enrolment.queued_at, Enrolment.id)
    )
    return [(e, u) for e, u in rows.all()]


async def session_for_staff(
    session: AsyncSession, actor: User, session_id: int
) -> tuple[CourseSession, Course, bool]:
    """A session, its course, and whether it has started (staff: the roster's heading)."""
    _require_staff(actor)
    cs = await session.get(CourseSession, session_id)
    if cs is None:
        raise NotFound(f"No training session {session_id}.")
    course = await session.get(Course, cs.course_id)
    assert course is not None
    return cs, course, cs.starts_at <= utcnow()


async def record_attendance(
    session: AsyncSession, actor: User, session_id: int, *, present: Sequence[int]
) -> None:
    """Set attendance for the whole roster at once: the enrolled people in `present` attended,
    the other enrolled people did not (staff, once the session has started)."""
    rows = await roster(session, actor, session_id)
    enrolled = [e.user_id for e, _ in rows if e.state == E.ENROLLED]
    wanted = set(present)
    here = [u for u in enrolled if u in wanted]
    absent = [u for u in enrolled if u not in wanted]
    if wanted - set(enrolled):
        raise Conflict("Only people holding a seat of this session can attend it.")
    if not enrolled:
        raise Conflict("Nobody holds a seat of this session yet.")
    if here:
        await mark_attendance(session, actor, session_id, user_ids=here, attended=True)
    if absent:
        await mark_attendance(session, actor, session_id, user_ids=absent, attended=False)


async def mark_attendance(
    session: AsyncSession, actor: User, session_id: int, *, user_ids: list[int], attended: bool
) -> list[Enrolment]:
    """Record who attended a session that has started (staff); only enrolled people count."""
    _require_staff(actor)
    cs = await session.get(CourseSession, session_id)
    if cs is None:
        raise NotFound(f"No training session {session_id}.")
    if cs.starts_at > utcnow():
        raise Conflict("Attendance is recorded once the session has started.")
    rows = list(
        await session.scalars(
            select(Enrolment).where(
                Enrolment.session_id == cs.id,
                Enrolment.user_id.in_(user_ids),
                Enrolment.state == E.ENROLLED.value,
            )
        )
    )
    missing = sorted(set(user_ids) - {e.user_id for e in rows})
    if missing:
        raise Conflict(
            f"Users {missing} are not enrolled in this session; only enrolled people attend."
        )
    for e in rows:
        e.attended = attended
    await audit.record(
        session, "training.attendance", "course_session", cs.id, users=user_ids, attended=attended
    )
    return rows


async def certificate(
    session: AsyncSession, actor: User, enrolment_id: int
) -> tuple[Enrolment, User, CourseSession, Course]:
    """What a certificate of attendance shows (the participant or staff; attended only)."""
    e = await _visible_enrolment(session, actor, enrolment_id)
    if not e.attended:
        raise Conflict("A certificate is issued once attendance has been recorded.")
    cs = await session.get(CourseSession, e.session_id)
    assert cs is not None
    course = await session.get(Course, cs.course_id)
    user = await session.get(User, e.user_id)
    assert course is not None and user is not None
    return e, user, cs, course
