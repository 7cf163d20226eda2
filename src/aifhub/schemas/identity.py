"""Identity request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from aifhub.schemas.enums.identity import OrgKind, OrgRole, ProjectRole, Sector, StaffRole
from aifhub.schemas.fields import Country, LongText, Name, Slug, WebUrl

Password = Annotated[str, StringConstraints(min_length=10, max_length=200)]
TOKEN_SCOPES = ("read", "write", "admin")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserCreate(Strict):
    email: EmailStr
    name: Name
    password: Password


class EmailOnly(Strict):
    """An address to send a password-reset link to."""

    email: EmailStr


class PasswordSet(Strict):
    """A new password (reset link), with the same rules as at registration."""

    password: Password


class PasswordChange(PasswordSet):
    """A new password set by the signed-in owner, who gives the current one."""

    current_password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class UserUpdate(Strict):
    name: Name | None = None
    locale: Annotated[str, StringConstraints(pattern=r"^(en|fr)$")] | None = None


class UserRead(Read):
    id: int
    email: str
    name: str
    locale: str
    is_active: bool
    staff_roles: list[str] = []
    created_at: datetime
    email_verified: bool = False


class StaffRolesUpdate(Strict):
    roles: list[StaffRole]


class OrganisationCreate(Strict):
    slug: Slug
    name: Name
    kind: OrgKind
    country: Country
    sectors: list[Sector] = Field(default_factory=list, max_length=12)
    website: WebUrl | None = None

    @field_validator("sectors")
    @classmethod
    def _unique(cls, value: list[Sector]) -> list[Sector]:
        return list(dict.fromkeys(value))


class OrganisationUpdate(Strict):
    name: Name | None = None
    kind: OrgKind | None = None
    country: Country | None = None
    sectors: list[Sector] | None = Field(default=None, max_length=12)
    website: WebUrl | None = None


class OrganisationRead(Read):
    id: int
    slug: str
    name: str
    kind: str
    country: str
    sectors: list[str]
    website: str | None
    created_at: datetime
    my_role: str | None = None


class MemberAdd(Strict):
    email: EmailStr
    role: OrgRole = OrgRole.MEMBER


class OrgMemberUpdate(Strict):
    role: OrgRole


class OrgMemberRead(BaseModel):
    user_id: int
    email: str
    name: str
    role: str


class InvitationCreate(Strict):
    email: EmailStr
    role: OrgRole = OrgRole.MEMBER


class InvitationRead(Read):
    id: int
    org_slug: str
    email: str
    role: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


class ProjectCreate(Strict):
    slug: Slug
    name: Name
    organisation: Slug
    sector: Sector
    description: LongText = ""


class ProjectUpdate(Strict):
    name: Name | None = None
    sector: Sector | None = None
    description: LongText | None = None


class ProjectRead(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    sector: str
    status: str
    organisation: str
    created_at: datetime
    my_role: str | None = None


class ProjectMemberAdd(Strict):
    email: EmailStr
    role: ProjectRole = ProjectRole.MEMBER


class ProjectMemberUpdate(Strict):
    role: ProjectRole


class ProjectMemberRead(BaseModel):
    user_id: int
    email: str
    name: str
    role: str


class TokenCreate(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    scopes: list[Annotated[str, StringConstraints(pattern=r"^(read|write|admin)$")]] = Field(
        default_factory=lambda: ["read", "write"], min_length=1
    )
    expires_in_days: int | None = Field(default=90, ge=1, le=366)


class TokenLogin(TokenCreate):
    """Create a token by e-mail and password (what `aifhub login` sends)."""

    email: EmailStr
    password: Annotated[str, StringConstraints(max_length=200)]


class TokenRead(Read):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret; shown once, never again")


class AuditEventRead(Read):
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    client_addr: str | None
    details: dict
