"""Conflict of interest: the one rule for deciders, technical assessors and reviewers.

Nobody decides, assesses or reviews an application of an organisation or project they belong
to. Membership counts when it existed at the application's first submission (or now, for an
application not yet submitted): an applicant cannot disqualify a reviewer they dislike by
adding them to the project afterwards. The membership rows' creation times say when.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.errors import ConflictOfInterest
from aifhub.access.models import Application
from aifhub.identity.models import OrgMembership, Project, ProjectMember, User


async def conflicted_user_ids(
    session: AsyncSession, app: Application, user_ids: Iterable[int] | None = None
) -> set[int]:
    """Ids of the users (among `user_ids`, or all) in conflict with this application."""
    project = await session.get(Project, app.project_id)
    assert project is not None
    org_cond: list[ColumnElement[bool]] = [OrgMembership.org_id == project.org_id]
    proj_cond: list[ColumnElement[bool]] = [ProjectMember.project_id == project.id]
    if app.submitted_at is not None:
        org_cond.append(OrgMembership.created_at <= app.submitted_at)
        proj_cond.append(ProjectMember.created_at <= app.submitted_at)
    if user_ids is not None:
        ids = list(user_ids)
        org_cond.append(OrgMembership.user_id.in_(ids))
        proj_cond.append(ProjectMember.user_id.in_(ids))
    rows = await session.scalars(
        select(OrgMembership.user_id)
        .where(and_(*org_cond))
        .union(select(ProjectMember.user_id).where(and_(*proj_cond)))
    )
    return set(rows)


async def has_conflict(session: AsyncSession, user: User, app: Application) -> bool:
    """True when the user belonged to the applicant's organisation or project at submission."""
    return user.id in await conflicted_user_ids(session, app, [user.id])


ROLE_SENTENCES = {
    "decide": "decide on",
    "assess": "assess",
    "review": "review",
}


async def refuse_conflict(
    session: AsyncSession, user: User, app: Application, *, role: str, who: str | None = None
) -> None:
    """403 when the user may not act on this application in `role` (decide, assess, review)."""
    if not await has_conflict(session, user, app):
        return
    subject = f"{who} belongs" if who else "You belong"
    raise ConflictOfInterest(
        f"{subject} to the applicant's organisation or project, so cannot"
        f" {ROLE_SENTENCES[role]} application {app.id} (conflict of interest); "
        + ("choose another reviewer." if who else "another staff member must do it.")
    )


__all__ = ["conflicted_user_ids", "has_conflict", "refuse_conflict"]
