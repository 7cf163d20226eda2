"""Identity endpoints of the SDK: organisations, projects, tokens."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from typing import Any

from aifhub.client.base import Resource, body
from aifhub.client.errors import ApiError
from aifhub.schemas.identity import (
    InvitationRead,
    OrganisationRead,
    OrgMemberRead,
    ProjectMemberRead,
    ProjectRead,
    TokenCreated,
    TokenRead,
)
from aifhub.schemas.page import Page

DEFAULT_SCOPES = ("read", "write")


def _member_id(members: builtins.list[Any], user: int | str, where: str) -> int:
    """A member's user id from an id or an e-mail (the API addresses members by id)."""
    if isinstance(user, int):
        return user
    email = user.strip().lower()
    for m in members:
        if m.email == email:
            return int(m.user_id)
    raise ApiError(404, "Not found", f"{email} is not a member of {where}.")


class Organisations(Resource):
    """`client.organisations`: the organisations one belongs to (all, for staff)."""

    def list(self, *, limit: int = 50, offset: int = 0) -> Page[OrganisationRead]:
        """One page of visible organisations."""
        params = {"limit": limit, "offset": offset}
        return self._call("GET", "/organisations", Page[OrganisationRead], params=params)

    def iter(self, *, page_size: int = 200) -> Iterator[OrganisationRead]:
        """Every visible organisation, fetching page after page."""
        return self._client.paginate(
            lambda limit, offset: self.list(limit=limit, offset=offset), page_size=page_size
        )

    def get(self, slug: str) -> OrganisationRead:
        """One organisation by slug."""
        return self._call("GET", f"/organisations/{slug}", OrganisationRead)

    def create(
        self,
        slug: str,
        name: str,
        *,
        kind: str,
        country: str,
        sectors: Iterable[str] = (),
        website: str | None = None,
    ) -> OrganisationRead:
        """Create an organisation; the caller becomes its owner."""
        data = body(
            slug=slug, name=name, kind=kind, country=country, sectors=list(sectors), website=website
        )
        return self._call("POST", "/organisations", OrganisationRead, json=data)

    def update(
        self,
        slug: str,
        *,
        name: str | None = None,
        kind: str | None = None,
        country: str | None = None,
        sectors: Iterable[str] | None = None,
        website: str | None = None,
    ) -> OrganisationRead:
        """Change the given fields of an organisation (owners and admins)."""
        data = body(
            name=name,
            kind=kind,
            country=country,
            sectors=list(sectors) if sectors is not None else None,
            website=website,
        )
        return self._call("PATCH", f"/organisations/{slug}", OrganisationRead, json=data)

    def members(self, slug: str) -> builtins.list[OrgMemberRead]:
        """Members of an organisation and their roles."""
        return self._call("GET", f"/organisations/{slug}/members", builtins.list[OrgMemberRead])

    def set_role(self, slug: str, user: int | str, role: str) -> OrgMemberRead:
        """Change a member's role; `user` is a user id or an e-mail."""
        uid = _member_id(self.members(slug), user, f"'{slug}'")
        path = f"/organisations/{slug}/members/{uid}"
        return self._call("PATCH", path, OrgMemberRead, json={"role": role})

    def remove_member(self, slug: str, user: int | str) -> None:
        """Remove a member (or leave); `user` is a user id or an e-mail."""
        uid = _member_id(self.members(slug), user, f"'{slug}'")
        self._call("DELETE", f"/organisations/{slug}/members/{uid}", None)

    def invite(self, slug: str, email: str, *, role: str = "member") -> InvitationRead:
        """Invite an e-mail address into an organisation: the only way in (they accept)."""
        data = {"email": email, "role": role}
        return self._call("POST", f"/organisations/{slug}/invitations", InvitationRead, json=data)

    def invitations(self) -> builtins.list[InvitationRead]:
        """Pending invitations addressed to me."""
        return self._call("GET", "/invitations", builtins.list[InvitationRead])

    def accept(self, invitation_id: int) -> InvitationRead:
        """Accept an invitation addressed to me (my e-mail address must be verified)."""
        return self._call("POST", f"/invitations/{invitation_id}/accept", InvitationRead)


class Projects(Resource):
    """`client.projects`: the projects one can see, with one's role in each."""

    def list(
        self, *, limit: int = 50, offset: int = 0, organisation: str | None = None
    ) -> Page[ProjectRead]:
        """One page of visible projects, optionally of one organisation."""
        params = {"limit": limit, "offset": offset, "organisation": organisation}
        return self._call("GET", "/projects", Page[ProjectRead], params=params)

    def iter(
        self, *, organisation: str | None = None, page_size: int = 200
    ) -> Iterator[ProjectRead]:
        """Every visible project, fetching page after page."""
        return self._client.paginate(
            lambda limit, offset: self.list(limit=limit, offset=offset, organisation=organisation),
            page_size=page_size,
        )

    def get(self, slug: str) -> ProjectRead:
        """One project by slug."""
        return self._call("GET", f"/projects/{slug}", ProjectRead)

    def create(
        self, slug: str, name: str, *, organisation: str, sector: str, description: str = ""
    ) -> ProjectRead:
        """Open a project in one of one's organisations; the caller becomes PI."""
        data = body(
            slug=slug, name=name, organisation=organisation, sector=sector, description=description
        )
        return self._call("POST", "/projects", ProjectRead, json=data)

    def update(
        self,
        slug: str,
        *,
        name: str | None = None,
        sector: str | None = None,
        description: str | None = None,
    ) -> ProjectRead:
        """Change the given fields of a project (PI and managers)."""
        data = body(name=name, sector=sector, description=description)
        return self._call("PATCH", f"/projects/{slug}", ProjectRead, json=data)

    def members(self, slug: str) -> builtins.list[ProjectMemberRead]:
        """Members of a project and their roles."""
        return self._call("GET", f"/projects/{slug}/members", builtins.list[ProjectMemberRead])

    def add_member(self, slug: str, email: str, *, role: str = "member") -> ProjectMemberRead:
        """Add a member of the project's organisation to it with a role (pi, manager, member)."""
        data = {"email": email, "role": role}
        return self._call("POST", f"/projects/{slug}/members", ProjectMemberRead, json=data)

    def set_role(self, slug: str, user: int | str, role: str) -> ProjectMemberRead:
        """Change a member's project role; `user` is a user id or an e-mail."""
        uid = _member_id(self.members(slug), user, f"project '{slug}'")
        path = f"/projects/{slug}/members/{uid}"
        return self._call("PATCH", path, ProjectMemberRead, json={"role": role})

    def remove_member(self, slug: str, user: int | str) -> None:
        """Remove a member from a project (or leave it); `user` is a user id or an e-mail."""
        uid = _member_id(self.members(slug), user, f"project '{slug}'")
        self._call("DELETE", f"/projects/{slug}/members/{uid}", None)


class Tokens(Resource):
    """`client.tokens`: one's own API tokens."""

    def list(self) -> builtins.list[TokenRead]:
        """One's tokens, newest first (never their secrets)."""
        return self._call("GET", "/tokens", builtins.list[TokenRead])

    def create(
        self,
        name: str,
        *,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        expires_in_days: int | None = 90,
    ) -> TokenCreated:
        """Create a token (no more scopes than the calling token); `.token` is the secret."""
        data = {"name": name, "scopes": builtins.list(scopes), "expires_in_days": expires_in_days}
        return self._call("POST", "/tokens", TokenCreated, json=data)

    def revoke(self, token_id: int) -> TokenRead:
        """Revoke one of one's tokens."""
        return self._call("DELETE", f"/tokens/{token_id}", TokenRead)
