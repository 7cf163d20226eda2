"""Projects and project roles. Authorisation lives in the queries."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from aifhub.core import audit
from aifhub.core.errors import Conflict, NotFound, PermissionDenied
from aifhub.identity.models import Organisation, OrgMembership, Project, ProjectMember, User
from aifhub.identity.service import ORG_MANAGERS, org_role
from aifhub.schemas import identity as schemas
from aifhub.schemas.enums.identity import ProjectRole, StaffRole

PROJECT_MANAGERS = (ProjectRole.PI.value, ProjectRole.MANAGER.value)


def visible_projects(actor: User) -> Select[Project]:
    """Projects the actor may see: member, or owner/admin of the organisation; staff see all."""
    query = select(Project)
    if actor.is_staff:
        return query
    # The ids come from the actor's own membership rows (indexed by user), so the cost
    # follows what the actor belongs to, not the size of the projects table; an OR of two
    # EXISTS probed every project (10x slower at 5,000 projects, bench/bench_projects_api.py).
    mine = select(ProjectMember.project_id).where(ProjectMember.user_id == actor.id)
    managed = (
        select(Project.id)
        .join(OrgMembership, OrgMembership.org_id == Project.org_id)
        .where(OrgMembership.user_id == actor.id, OrgMembership.role.in_(ORG_MANAGERS))
    )
    return query.where(Project.id.in_(mine.union(managed)))


async def list_projects(
    session: AsyncSession,
    actor: User,
    *,
    limit: int,
    offset: int,
    organisation: str | None = None,
) -> tuple[list[tuple[Project, str, str | None]], int]:
    """Visible projects with their organisation's slug and the actor's role: two queries."""
    base = visible_projects(actor)
    if organisation:
        base = base.where(
            Project.org_id
            == select(Organisation.id).where(Organisation.slug == organisation).scalar_subquery()
        )
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    mine = aliased(ProjectMember)
    query = (
        base.join(Organisation, Organisation.id == Project.org_id)
        .outerjoin(mine, and_(mine.project_id == Project.id, mine.user_id == actor.id))
        .add_columns(Organisation.slug, mine.role)
        .order_by(Project.id)
        .limit(limit)
        .offset(offset)
    )
    rows = (await session.execute(query)).all()
    return [(p, org_slug, role) for p, org_slug, role in rows], int(total or 0)


async def get_project(session: AsyncSession, actor: User, slug: str) -> Project:
    """A visible project by slug, with its organisation (404 when missing or not visible)."""
    project = await session.scalar(
        visible_projects(actor).where(Project.slug == slug).options(joinedload(Project.org))
    )
    if project is None:
        raise NotFound(f"No project '{slug}' that you can see.")
    return project


async def project_slug(session: AsyncSession, project_id: int) -> str:
    """The slug of a project the caller reached through a row it may see (a ticket, a job)."""
    slug = await session.scalar(select(Project.slug).where(Project.id == project_id))
    if slug is None:
        raise NotFound(f"No project {project_id}.")
    return slug


async def project_role(session: AsyncSession, user: User, project_id: int) -> str | None:
    """The user's role in a project, or None."""
    return await session.scalar(
        select(ProjectMember.role).where(
            ProjectMember.project_id == project_id, ProjectMember.user_id == user.id
        )
    )


async def require_project_role(
    session: AsyncSession, actor: User, slug: str, roles: Iterable[str]
) -> Project:
    """The project if the actor holds one of these roles in it (else 403/404)."""
    project = await get_project(session, actor, slug)
    role = await project_role(session, actor, project.id)
    wanted = {str(r) for r in roles}
    if role not in wanted:
        names = ", ".join(sorted(wanted))
        raise PermissionDenied(f"This needs one of these roles in project '{slug}': {names}.")
    return project


async def _require_project_manager(session: AsyncSession, actor: User, project: Project) -> None:
    if actor.has_role(StaffRole.ADMIN):
        return
    if await project_role(session, actor, project.id) in PROJECT_MANAGERS:
        return
    if await org_role(session, actor, project.org_id) in ORG_MANAGERS:
        return
    raise PermissionDenied(f"Only the PI and managers of '{project.slug}' can do this.")


async def create_project(
    session: AsyncSession, actor: User, *, data: schemas.ProjectCreate
) -> Project:
    """Open a project in one of the actor's organisations; the actor becomes its PI."""
    org = await session.scalar(select(Organisation).where(Organisation.slug == data.organisation))
    if org is None or not await org_role(session, actor, org.id):
        raise NotFound(
            f"No organisation '{data.organisation}' that you belong to.", field="organisation"
        )
    if await session.scalar(select(Project.id).where(Project.slug == data.slug)):
        raise Conflict(f"The project slug '{data.slug}' is taken; choose another.", field="slug")
    project = Project(
        slug=data.slug,
        name=data.name,
        description=data.description,
        org_id=org.id,
        sector=data.sector.value,
    )
    session.add(project)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the slug
        raise Conflict(
            f"The project slug '{data.slug}' is taken; choose another.", field="slug"
        ) from exc
    session.add(ProjectMember(project_id=project.id, user_id=actor.id, role=ProjectRole.PI.value))
    await audit.record(session, "project.create", "project", project.slug, organisation=org.slug)
    return project


async def update_project(
    session: AsyncSession, actor: User, slug: str, *, data: schemas.ProjectUpdate
) -> Project:
    """Change a project's details (PI, managers, organisation managers)."""
    project = await get_project(session, actor, slug)
    await _require_project_manager(session, actor, project)
    changes = data.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    for key, value in changes.items():
        setattr(project, key, value)
    await session.flush()
    await audit.record(session, "project.update", "project", project.slug, **changes)
    return project


async def list_project_members(
    session: AsyncSession, actor: User, slug: str
) -> list[tuple[ProjectMember, User]]:
    """Members of a visible project."""
    project = await get_project(session, actor, slug)
    rows = await session.execute(
        select(ProjectMember, User)
        .join(User, User.id == ProjectMember.user_id)
        .where(ProjectMember.project_id == project.id)
        .order_by(User.name)
    )
    return [(m, u) for m, u in rows.all()]


async def _project_membership(
    session: AsyncSession, project: Project, user_id: int
) -> ProjectMember:
    m = await session.scalar(
        select(ProjectMember)
        .where(ProjectMember.project_id == project.id, ProjectMember.user_id == user_id)
        .options(joinedload(ProjectMember.user))
    )
    if m is None:
        raise NotFound(f"User {user_id} is not a member of project '{project.slug}'.")
    return m


async def _count_pis(session: AsyncSession, project_id: int) -> int:
    n = await session.scalar(
        select(func.count()).where(
            ProjectMember.project_id == project_id, ProjectMember.role == ProjectRole.PI.value
        )
    )
    return int(n or 0)


async def add_project_member(
    session: AsyncSession, actor: User, slug: str, *, email: str, role: str
) -> ProjectMember:
    """Add a member of the project's organisation (PI and managers); only a PI names a PI.

    Nobody joins an organisation without accepting an invitation, so adding one of its members
    to one of its projects needs no further consent; anyone else is invited to the
    organisation first. The answer is the same whether an outsider has an account or not.
    """
    project = await get_project(session, actor, slug)
    await _require_project_manager(session, actor, project)
    if role == ProjectRole.PI:
        await _require_pi(session, actor, project)
    user = await session.scalar(
        select(User)
        .join(OrgMembership, OrgMembership.user_id == User.id)
        .where(OrgMembership.org_id == project.org_id, User.email == email.strip().lower())
    )
    if user is None:
        raise NotFound(
            f"{email} is not a member of this project's organisation; invite them to the"
            " organisation first, then add them once they have accepted.",
            field="email",
        )
    if await project_role(session, user, project.id):
        raise Conflict(
            f"{user.email} is already a member of project '{project.slug}'.", field="email"
        )
    m = ProjectMember(project_id=project.id, user=user, role=ProjectRole(role).value)
    session.add(m)
    await session.flush()
    await audit.record(
        session, "project.member_add", "project", project.slug, user=user.email, role=role
    )
    return m


async def _require_pi(session: AsyncSession, actor: User, project: Project) -> None:
    if actor.has_role(StaffRole.ADMIN):
        return
    if await project_role(session, actor, project.id) != ProjectRole.PI:
        raise PermissionDenied("Only a PI can grant or remove the PI role.")


async def change_project_member_role(
    session: AsyncSession, actor: User, slug: str, *, user_id: int, role: str
) -> ProjectMember:
    """Change a member's project role (the row comes with its `user`); one PI always stays."""
    project = await get_project(session, actor, slug)
    await _require_project_manager(session, actor, project)
    m = await _project_membership(session, project, user_id)
    if ProjectRole.PI in (role, m.role):
        await _require_pi(session, actor, project)
    if (
        m.role == ProjectRole.PI
        and role != ProjectRole.PI
        and await _count_pis(session, project.id) <= 1
    ):
        raise Conflict(f"This is the last PI of '{project.slug}'; name another PI first.")
    m.role = ProjectRole(role).value
    await session.flush()
    await audit.record(
        session, "project.member_role", "project", project.slug, user_id=user_id, role=role
    )
    return m


async def remove_project_member(
    session: AsyncSession, actor: User, slug: str, *, user_id: int
) -> None:
    """Remove a member (PI and managers) or leave (oneself); never the last PI."""
    project = await get_project(session, actor, slug)
    if user_id != actor.id:
        await _require_project_manager(session, actor, project)
    m = await _project_membership(session, project, user_id)
    if m.role == ProjectRole.PI:
        if user_id != actor.id:
            await _require_pi(session, actor, project)
        if await _count_pis(session, project.id) <= 1:
            raise Conflict(f"This is the last PI of '{project.slug}'; name another PI first.")
    await session.delete(m)
    await audit.record(session, "project.member_remove", "project", project.slug, user_id=user_id)
