"""Users, organisations, projects and their roles. Authorisation lives in the queries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from aifhub.core import audit
from aifhub.core.db import utcnow
from aifhub.core.errors import Conflict, NotFound, PermissionDenied
from aifhub.core.mail import queue_notice
from aifhub.core.security import hash_password
from aifhub.identity.models import Invitation, Organisation, OrgMembership, StaffRoleGrant, User
from aifhub.identity.notifications import INVITATION
from aifhub.identity.verification import require_verified
from aifhub.schemas import identity as schemas
from aifhub.schemas.enums.identity import OrgRole, StaffRole

ORG_MANAGERS = (OrgRole.OWNER.value, OrgRole.ADMIN.value)
INVITATION_DAYS = 14


def _email(value: str) -> str:
    return value.strip().lower()


# ---------------------------------------------------------------- users


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    """The user with this e-mail (case-insensitive), if any."""
    return await session.scalar(select(User).where(User.email == _email(email)))


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    password: str | None,
    staff_roles: Iterable[str] = (),
    locale: str = "en",
    email_verified: bool = False,
) -> User:
    """Create a local (or federated, without password) user; e-mails are unique.

    `email_verified` only for addresses someone vouches for: staff or the CLI creating the
    account, the demo, a trusted identity provider. Self-registration proves it by a link.
    """
    email = _email(email)
    if await get_user_by_email(session, email):
        raise Conflict(f"A user with e-mail {email} already exists.", field="email")
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password) if password else None,
        locale=locale,
        email_verified_at=utcnow() if email_verified else None,
        staff_roles=[StaffRoleGrant(role=StaffRole(r).value) for r in dict.fromkeys(staff_roles)],
    )
    session.add(user)
    await session.flush()
    await audit.record(
        session, "user.create", "user", user.id, email=email, email_verified=email_verified
    )
    return user


async def update_user(session: AsyncSession, user: User, *, data: schemas.UserUpdate) -> User:
    """Change one's own name or language."""
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for key, value in changes.items():
        setattr(user, key, value)
    await session.flush()
    await audit.record(session, "user.update", "user", user.id, **changes)
    return user


async def list_users(
    session: AsyncSession, actor: User, *, limit: int, offset: int, q: str | None = None
) -> tuple[list[User], int]:
    """All users (staff only), optionally filtered by e-mail or name."""
    _require_staff(actor)
    query = select(User)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(User.email.like(like), func.lower(User.name).like(like)))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    users = await session.scalars(query.order_by(User.id).limit(limit).offset(offset))
    return list(users), int(total or 0)


async def set_staff_roles(
    session: AsyncSession, actor: User, *, user_id: int, roles: Iterable[str]
) -> User:
    """Replace a user's staff roles (admins only); the last admin cannot drop admin."""
    if StaffRole.ADMIN not in actor.roles:
        raise PermissionDenied("Only staff admins can change staff roles.")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    wanted = {StaffRole(r).value for r in roles}
    if StaffRole.ADMIN in user.roles and StaffRole.ADMIN not in wanted:
        admins = await session.scalar(
            select(func.count()).where(StaffRoleGrant.role == StaffRole.ADMIN.value)
        )
        if (admins or 0) <= 1:
            raise Conflict("This is the last staff admin; name another admin first.")
    user.staff_roles = [g for g in user.staff_roles if g.role in wanted] + [
        StaffRoleGrant(role=r) for r in sorted(wanted - user.roles)
    ]
    await session.flush()
    await audit.record(session, "user.staff_roles", "user", user.id, roles=sorted(wanted))
    return user


def _require_staff(actor: User, *roles: str) -> None:
    if not actor.is_staff or (roles and not actor.has_role(*roles)):
        raise PermissionDenied("This needs a staff role.")


# ---------------------------------------------------------------- organisations


def visible_orgs(actor: User) -> Select[Organisation]:
    """Organisations the actor may see: theirs, or all for staff."""
    query = select(Organisation)
    if actor.is_staff:
        return query
    mine = select(OrgMembership.org_id).where(OrgMembership.user_id == actor.id)
    return query.where(Organisation.id.in_(mine))


async def list_orgs(
    session: AsyncSession, actor: User, *, limit: int, offset: int
) -> tuple[list[tuple[Organisation, str | None]], int]:
    """Visible organisations with the actor's role in each."""
    mine = aliased(OrgMembership)
    base = visible_orgs(actor)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    query = (
        base.add_columns(mine.role)
        .outerjoin(mine, and_(mine.org_id == Organisation.id, mine.user_id == actor.id))
        .order_by(Organisation.name, Organisation.id)
        .limit(limit)
        .offset(offset)
    )
    rows = (await session.execute(query)).all()
    return [(org, role) for org, role in rows], int(total or 0)


async def get_org(session: AsyncSession, actor: User, slug: str) -> Organisation:
    """A visible organisation by slug (404 when it does not exist or is not visible)."""
    org = await session.scalar(visible_orgs(actor).where(Organisation.slug == slug))
    if org is None:
        raise NotFound(f"No organisation '{slug}' that you belong to.")
    return org


async def org_role(session: AsyncSession, user: User, org_id: int) -> str | None:
    """The user's role in an organisation, or None."""
    return await session.scalar(
        select(OrgMembership.role).where(
            OrgMembership.org_id == org_id, OrgMembership.user_id == user.id
        )
    )


async def _require_org_manager(session: AsyncSession, actor: User, org: Organisation) -> None:
    if actor.has_role(StaffRole.ADMIN):
        return
    if await org_role(session, actor, org.id) not in ORG_MANAGERS:
        raise PermissionDenied(f"Only owners and admins of '{org.slug}' can do this.")


async def create_org(
    session: AsyncSession, actor: User, *, data: schemas.OrganisationCreate
) -> Organisation:
    """Create an organisation; its creator becomes its owner."""
    if await session.scalar(select(Organisation.id).where(Organisation.slug == data.slug)):
        raise Conflict(
            f"The organisation slug '{data.slug}' is taken; choose another.", field="slug"
        )
    org = Organisation(
        slug=data.slug,
        name=data.name,
        kind=data.kind.value,
        country=data.country,
        sectors=[s.value for s in data.sectors],
        website=data.website,
    )
    session.add(org)
    await session.flush()
    session.add(OrgMembership(org_id=org.id, user_id=actor.id, role=OrgRole.OWNER.value))
    await audit.record(session, "org.create", "organisation", org.slug, kind=org.kind)
    return org


async def update_org(
    session: AsyncSession, actor: User, slug: str, *, data: schemas.OrganisationUpdate
) -> Organisation:
    """Change an organisation's details (owners and admins)."""
    org = await get_org(session, actor, slug)
    await _require_org_manager(session, actor, org)
    changes = data.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    for key, value in changes.items():
        setattr(org, key, value)
    await session.flush()
    await audit.record(session, "org.update", "organisation", org.slug, **changes)
    return org


async def list_org_members(
    session: AsyncSession, actor: User, slug: str
) -> list[tuple[OrgMembership, User]]:
    """Members of a visible organisation."""
    org = await get_org(session, actor, slug)
    rows = await session.execute(
        select(OrgMembership, User)
        .join(User, User.id == OrgMembership.user_id)
        .where(OrgMembership.org_id == org.id)
        .order_by(User.name)
    )
    return [(m, u) for m, u in rows.all()]


async def _membership(session: AsyncSession, org: Organisation, user_id: int) -> OrgMembership:
    m = await session.scalar(
        select(OrgMembership)
        .where(OrgMembership.org_id == org.id, OrgMembership.user_id == user_id)
        .options(joinedload(OrgMembership.user))
    )
    if m is None:
        raise NotFound(f"User {user_id} is not a member of '{org.slug}'.")
    return m


async def _count_owners(session: AsyncSession, org_id: int) -> int:
    n = await session.scalar(
        select(func.count()).where(
            OrgMembership.org_id == org_id, OrgMembership.role == OrgRole.OWNER.value
        )
    )
    return int(n or 0)


async def change_org_member_role(
    session: AsyncSession, actor: User, slug: str, *, user_id: int, role: str
) -> OrgMembership:
    """Change a member's role (the membership comes with its `user`); one owner always stays."""
    org = await get_org(session, actor, slug)
    await _require_org_manager(session, actor, org)
    m = await _membership(session, org, user_id)
    actor_is_owner = await org_role(session, actor, org.id) == OrgRole.OWNER
    if (role == OrgRole.OWNER or m.role == OrgRole.OWNER) and not (
        actor_is_owner or actor.has_role(StaffRole.ADMIN)
    ):
        raise PermissionDenied("Only owners can grant or remove the owner role.")
    if (
        m.role == OrgRole.OWNER
        and role != OrgRole.OWNER
        and await _count_owners(session, org.id) <= 1
    ):
        raise Conflict(f"This is the last owner of '{org.slug}'; name another owner first.")
    m.role = OrgRole(role).value
    await session.flush()
    await audit.record(
        session, "org.member_role", "organisation", org.slug, user_id=user_id, role=role
    )
    return m


async def remove_org_member(session: AsyncSession, actor: User, slug: str, *, user_id: int) -> None:
    """Remove a member (managers), or leave (oneself); never the last owner."""
    org = await get_org(session, actor, slug)
    if user_id != actor.id:
        await _require_org_manager(session, actor, org)
    m = await _membership(session, org, user_id)
    if m.role == OrgRole.OWNER and await _count_owners(session, org.id) <= 1:
        raise Conflict(f"This is the last owner of '{org.slug}'; name another owner first.")
    await session.delete(m)
    await audit.record(session, "org.member_remove", "organisation", org.slug, user_id=user_id)


async def invite(
    session: AsyncSession, actor: User, slug: str, *, email: str, role: str
) -> Invitation:
    """Invite an e-mail address into an organisation (owners and admins)."""
    org = await get_org(session, actor, slug)
    await _require_org_manager(session, actor, org)
    email = _email(email)
    if role == OrgRole.OWNER and await org_role(session, actor, org.id) != OrgRole.OWNER:
        if not actor.has_role(StaffRole.ADMIN):
            raise PermissionDenied("Only owners can invite other owners.")
    # Members are listed on the organisation's page, so saying so reveals nothing new; whether
    # an account exists for any other address is never said (same answer, same mail).
    member = await session.scalar(
        select(OrgMembership.id)
        .join(User, User.id == OrgMembership.user_id)
        .where(OrgMembership.org_id == org.id, User.email == email)
    )
    if member:
        raise Conflict(f"{email} is already a member of '{org.slug}'.", field="email")
    now = utcnow()
    pending = await session.scalar(
        select(Invitation.id).where(
            Invitation.org_id == org.id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    )
    if pending:
        raise Conflict(f"{email} already has a pending invitation to '{org.slug}'.", field="email")
    inv = Invitation(
        org_id=org.id,
        email=email,
        role=OrgRole(role).value,
        invited_by_id=actor.id,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    session.add(inv)
    await session.flush()
    await audit.record(session, "org.invite", "organisation", org.slug, email=email, role=role)
    await queue_notice(
        session, INVITATION, to=email, actor=actor, org=org, inv=inv, days=INVITATION_DAYS
    )
    return inv


async def list_my_invitations(session: AsyncSession, actor: User) -> list[tuple[Invitation, str]]:
    """Pending invitations addressed to the actor's e-mail."""
    rows = await session.execute(
        select(Invitation, Organisation.slug)
        .join(Organisation, Organisation.id == Invitation.org_id)
        .where(
            Invitation.email == actor.email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.id)
    )
    return [(i, s) for i, s in rows.all()]


async def accept_invitation(session: AsyncSession, actor: User, invitation_id: int) -> Invitation:
    """Join an organisation through an invitation addressed to oneself (its `org` loaded)."""
    inv = await session.scalar(
        select(Invitation).where(Invitation.id == invitation_id).options(joinedload(Invitation.org))
    )
    if inv is None or inv.email != actor.email:
        raise NotFound(f"No invitation {invitation_id} addressed to you.")
    # Whoever registers an address first does not get its invitations: only its proven owner.
    require_verified(actor)
    if inv.accepted_at or inv.revoked_at:
        raise Conflict("This invitation was already used or revoked.")
    if inv.expires_at <= utcnow():
        raise Conflict("This invitation has expired; ask for a new one.")
    inv.accepted_at = utcnow()
    org = inv.org
    if not await org_role(session, actor, inv.org_id):
        session.add(OrgMembership(org_id=inv.org_id, user_id=actor.id, role=inv.role))
    await session.flush()
    await audit.record(session, "org.invite_accept", "organisation", org.slug, role=inv.role)
    return inv
