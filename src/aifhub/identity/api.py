"""Identity REST endpoints under /api/v1: HTTP only, the rules live in the services."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from aifhub.core import audit
from aifhub.core.db import DbSession
from aifhub.core.errors import NotAuthenticated, PermissionDenied
from aifhub.core.pagination import Pagination
from aifhub.core.validation import Id
from aifhub.identity import credentials, projects, service, verification
from aifhub.identity.deps import CurrentPrincipal, CurrentUser, StaffUser
from aifhub.identity.models import (
    ApiToken,
    Invitation,
    Organisation,
    OrgMembership,
    Project,
    ProjectMember,
    User,
)
from aifhub.identity.throttle import LoginLimits
from aifhub.schemas import identity as schemas
from aifhub.schemas.page import Page

router = APIRouter(tags=["identity"])


def _user(u: User) -> schemas.UserRead:
    return schemas.UserRead(
        id=u.id,
        email=u.email,
        name=u.name,
        locale=u.locale,
        is_active=u.is_active,
        staff_roles=sorted(u.roles),
        created_at=u.created_at,
        email_verified=u.email_verified,
    )


def _org(o: Organisation, role: str | None = None) -> schemas.OrganisationRead:
    return schemas.OrganisationRead.model_validate(o).model_copy(update={"my_role": role})


def _project(p: Project, org_slug: str, role: str | None) -> schemas.ProjectRead:
    return schemas.ProjectRead(
        id=p.id,
        slug=p.slug,
        name=p.name,
        description=p.description,
        sector=p.sector,
        status=p.status,
        organisation=org_slug,
        created_at=p.created_at,
        my_role=role,
    )


def _invitation(i: Invitation, org_slug: str) -> schemas.InvitationRead:
    return schemas.InvitationRead(
        id=i.id,
        org_slug=org_slug,
        email=i.email,
        role=i.role,
        created_at=i.created_at,
        expires_at=i.expires_at,
        accepted_at=i.accepted_at,
        revoked_at=i.revoked_at,
    )


# ---------------------------------------------------------------- me, tokens


def _created(token: ApiToken, secret: str) -> schemas.TokenCreated:
    return schemas.TokenCreated(
        **schemas.TokenRead.model_validate(token).model_dump(), token=secret
    )


@router.get("/me")
async def read_me(user: CurrentUser) -> schemas.UserRead:
    """The signed-in user."""
    return _user(user)


@router.patch("/me")
async def update_me(db: DbSession, user: CurrentUser, body: schemas.UserUpdate) -> schemas.UserRead:
    """Change one's own name or language."""
    return _user(await service.update_user(db, user, data=body))


@router.post("/me/email-verification", status_code=status.HTTP_202_ACCEPTED)
async def resend_verification(
    request: Request, db: DbSession, user: CurrentUser
) -> schemas.UserRead:
    """Send a new link that verifies one's e-mail address (nothing when already verified)."""
    settings = request.app.state.settings
    await verification.send_verification(
        db, user, secret_key=settings.resolved_secret_key(), base_url=settings.base_url
    )
    return _user(user)


@router.post("/tokens/login", status_code=status.HTTP_201_CREATED)
async def login_for_token(
    request: Request, db: DbSession, body: schemas.TokenLogin
) -> schemas.TokenCreated:
    """Exchange an e-mail and password for a new API token (what `aifhub login` does)."""
    settings = request.app.state.settings
    client = request.client.host if request.client else None
    user = await credentials.authenticate(
        db,
        email=body.email,
        password=body.password,
        client_addr=client,
        limits=LoginLimits.from_settings(settings),
    )
    if user is None:
        await db.commit()  # keep the failed attempt for rate limiting
        raise NotAuthenticated("Wrong e-mail or password.")
    if not user.email_verified:
        await verification.send_verification(
            db, user, secret_key=settings.resolved_secret_key(), base_url=settings.base_url
        )
        await db.commit()
        raise verification.EmailNotVerified(
            f"Confirm your e-mail address before signing in: we sent a new link to {user.email};"
            " open it, then sign in again."
        )
    token, secret = await credentials.create_token(db, user, data=body)
    return _created(token, secret)


@router.get("/tokens")
async def list_tokens(db: DbSession, user: CurrentUser) -> list[schemas.TokenRead]:
    """One's own API tokens (never their secrets)."""
    return [schemas.TokenRead.model_validate(t) for t in await credentials.list_tokens(db, user)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
async def create_token(
    db: DbSession, principal: CurrentPrincipal, body: schemas.TokenCreate
) -> schemas.TokenCreated:
    """Create an API token; a token cannot mint one with more scopes than it has."""
    if not set(body.scopes) <= principal.scopes:
        raise PermissionDenied("A token cannot create a token with scopes it does not have.")
    token, secret = await credentials.create_token(db, principal.user, data=body)
    return _created(token, secret)


@router.delete("/tokens/{token_id}")
async def revoke_token(db: DbSession, user: CurrentUser, token_id: Id) -> schemas.TokenRead:
    """Revoke one of one's tokens."""
    return schemas.TokenRead.model_validate(await credentials.revoke_token(db, user, token_id))


# ---------------------------------------------------------------- organisations


@router.get("/organisations")
async def list_orgs(
    db: DbSession, user: CurrentUser, page: Pagination
) -> Page[schemas.OrganisationRead]:
    """Organisations one belongs to (all, for staff)."""
    rows, total = await service.list_orgs(db, user, limit=page.limit, offset=page.offset)
    return Page(
        items=[_org(o, r) for o, r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/organisations", status_code=status.HTTP_201_CREATED)
async def create_org(
    db: DbSession, user: CurrentUser, body: schemas.OrganisationCreate
) -> schemas.OrganisationRead:
    """Create an organisation; the caller becomes its owner."""
    return _org(await service.create_org(db, user, data=body), "owner")


@router.get("/organisations/{slug}")
async def read_org(db: DbSession, user: CurrentUser, slug: str) -> schemas.OrganisationRead:
    """One organisation."""
    org = await service.get_org(db, user, slug)
    return _org(org, await service.org_role(db, user, org.id))


@router.patch("/organisations/{slug}")
async def update_org(
    db: DbSession, user: CurrentUser, slug: str, body: schemas.OrganisationUpdate
) -> schemas.OrganisationRead:
    """Change an organisation (owners and admins)."""
    org = await service.update_org(db, user, slug, data=body)
    return _org(org, await service.org_role(db, user, org.id))


def _org_member(m: OrgMembership, u: User) -> schemas.OrgMemberRead:
    return schemas.OrgMemberRead(user_id=u.id, email=u.email, name=u.name, role=m.role)


@router.get("/organisations/{slug}/members")
async def list_org_members(
    db: DbSession, user: CurrentUser, slug: str
) -> list[schemas.OrgMemberRead]:
    """Members of an organisation."""
    return [_org_member(m, u) for m, u in await service.list_org_members(db, user, slug)]


@router.patch("/organisations/{slug}/members/{user_id}")
async def change_org_member(
    db: DbSession, user: CurrentUser, slug: str, user_id: Id, body: schemas.OrgMemberUpdate
) -> schemas.OrgMemberRead:
    """Change a member's role."""
    m = await service.change_org_member_role(db, user, slug, user_id=user_id, role=body.role)
    return _org_member(m, m.user)


@router.delete("/organisations/{slug}/members/{user_id}", status_code=204)
async def remove_org_member(db: DbSession, user: CurrentUser, slug: str, user_id: Id) -> None:
    """Remove a member, or leave."""
    await service.remove_org_member(db, user, slug, user_id=user_id)


@router.post("/organisations/{slug}/invitations", status_code=status.HTTP_201_CREATED)
async def invite(
    db: DbSession, user: CurrentUser, slug: str, body: schemas.InvitationCreate
) -> schemas.InvitationRead:
    """Invite an e-mail address into an organisation: the only way in (the invitee accepts)."""
    inv = await service.invite(db, user, slug, email=body.email, role=body.role)
    return _invitation(inv, slug)


@router.get("/invitations")
async def my_invitations(db: DbSession, user: CurrentUser) -> list[schemas.InvitationRead]:
    """Pending invitations addressed to me."""
    return [_invitation(i, s) for i, s in await service.list_my_invitations(db, user)]


@router.post("/invitations/{invitation_id}/accept")
async def accept_invitation(
    db: DbSession, user: CurrentUser, invitation_id: Id
) -> schemas.InvitationRead:
    """Accept an invitation and join the organisation."""
    inv = await service.accept_invitation(db, user, invitation_id)
    return _invitation(inv, inv.org.slug)


# ---------------------------------------------------------------- projects


@router.get("/projects")
async def list_projects(
    db: DbSession, user: CurrentUser, page: Pagination, organisation: str | None = None
) -> Page[schemas.ProjectRead]:
    """Projects one can see, with one's role in each."""
    rows, total = await projects.list_projects(
        db, user, limit=page.limit, offset=page.offset, organisation=organisation
    )
    return Page(
        items=[_project(p, s, r) for p, s, r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/projects", status_code=status.HTTP_201_CREATED)
async def create_project(
    db: DbSession, user: CurrentUser, body: schemas.ProjectCreate
) -> schemas.ProjectRead:
    """Open a project in one of one's organisations; the caller becomes PI."""
    project = await projects.create_project(db, user, data=body)
    return _project(project, body.organisation, "pi")


async def _project_read(db: DbSession, user: User, project: Project) -> schemas.ProjectRead:
    return _project(project, project.org.slug, await projects.project_role(db, user, project.id))


@router.get("/projects/{slug}")
async def read_project(db: DbSession, user: CurrentUser, slug: str) -> schemas.ProjectRead:
    """One project."""
    return await _project_read(db, user, await projects.get_project(db, user, slug))


@router.patch("/projects/{slug}")
async def update_project(
    db: DbSession, user: CurrentUser, slug: str, body: schemas.ProjectUpdate
) -> schemas.ProjectRead:
    """Change a project (PI and managers)."""
    project = await projects.update_project(db, user, slug, data=body)
    return await _project_read(db, user, project)


@router.get("/projects/{slug}/members")
async def list_project_members(
    db: DbSession, user: CurrentUser, slug: str
) -> list[schemas.ProjectMemberRead]:
    """Members of a project and their roles."""
    rows = await projects.list_project_members(db, user, slug)
    return [
        schemas.ProjectMemberRead(user_id=u.id, email=u.email, name=u.name, role=m.role)
        for m, u in rows
    ]


def _project_member(m: ProjectMember) -> schemas.ProjectMemberRead:
    u = m.user
    return schemas.ProjectMemberRead(user_id=u.id, email=u.email, name=u.name, role=m.role)


@router.post("/projects/{slug}/members", status_code=status.HTTP_201_CREATED)
async def add_project_member(
    db: DbSession, user: CurrentUser, slug: str, body: schemas.ProjectMemberAdd
) -> schemas.ProjectMemberRead:
    """Add a member of the project's organisation to the project with a role."""
    m = await projects.add_project_member(db, user, slug, email=body.email, role=body.role)
    return _project_member(m)


@router.patch("/projects/{slug}/members/{user_id}")
async def change_project_member(
    db: DbSession, user: CurrentUser, slug: str, user_id: Id, body: schemas.ProjectMemberUpdate
) -> schemas.ProjectMemberRead:
    """Change a member's project role (PI, manager, member)."""
    m = await projects.change_project_member_role(db, user, slug, user_id=user_id, role=body.role)
    return _project_member(m)


@router.delete("/projects/{slug}/members/{user_id}", status_code=204)
async def remove_project_member(db: DbSession, user: CurrentUser, slug: str, user_id: Id) -> None:
    """Remove a member from a project, or leave it."""
    await projects.remove_project_member(db, user, slug, user_id=user_id)


# ---------------------------------------------------------------- staff


@router.get("/users")
async def list_users(
    db: DbSession, user: StaffUser, page: Pagination, q: str | None = None
) -> Page[schemas.UserRead]:
    """All users (staff)."""
    rows, total = await service.list_users(db, user, limit=page.limit, offset=page.offset, q=q)
    return Page(items=[_user(u) for u in rows], total=total, limit=page.limit, offset=page.offset)


@router.put("/users/{user_id}/staff-roles")
async def set_staff_roles(
    db: DbSession, user: StaffUser, user_id: Id, body: schemas.StaffRolesUpdate
) -> schemas.UserRead:
    """Replace a user's staff roles (staff admins)."""
    return _user(await service.set_staff_roles(db, user, user_id=user_id, roles=body.roles))


@router.get("/audit")
async def list_audit(
    db: DbSession,
    user: StaffUser,
    page: Pagination,
    action: str | None = None,
    object_type: str | None = None,
    actor_id: Id | None = None,
) -> Page[schemas.AuditEventRead]:
    """The audit log, newest first (staff)."""
    rows, total = await audit.list_events(
        db,
        limit=page.limit,
        offset=page.offset,
        action=action,
        object_type=object_type,
        actor_id=actor_id,
    )
    return Page(
        items=[schemas.AuditEventRead.model_validate(e) for e in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
