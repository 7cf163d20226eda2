"""Identity's wire values: organisation kinds, sectors, roles."""

from __future__ import annotations

from enum import StrEnum

from aifhub.schemas.enums.labels import N_, Labels


class OrgKind(StrEnum):
    STARTUP = "startup"
    SME = "sme"
    LARGE_COMPANY = "large_company"
    ACADEMIC = "academic"
    PUBLIC_BODY = "public_body"


class Sector(StrEnum):
    HEALTH = "health"
    AERONAUTICS = "aeronautics"
    ENERGY = "energy"
    MATERIALS = "materials"
    ROBOTICS = "robotics"
    AGRONOMY = "agronomy"
    DEFENCE_SECURITY = "defence_security"
    EDUCATION = "education"
    MOBILITY = "mobility"
    FINANCE = "finance"
    HUMANITIES = "humanities"
    OTHER = "other"


class OrgRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class ProjectRole(StrEnum):
    PI = "pi"
    MANAGER = "manager"
    MEMBER = "member"


class StaffRole(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    EXPERT = "expert"
    SUPPORT = "support"


class ProjectStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"
    SUSPENDED = "suspended"


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


LABELS: Labels = {
    OrgKind: {
        OrgKind.STARTUP: N_("Startup"),
        OrgKind.SME: N_("SME"),
        OrgKind.LARGE_COMPANY: N_("Large company"),
        OrgKind.ACADEMIC: N_("Academic"),
        OrgKind.PUBLIC_BODY: N_("Public body"),
    },
    Sector: {
        Sector.HEALTH: N_("Health"),
        Sector.AERONAUTICS: N_("Aeronautics"),
        Sector.ENERGY: N_("Energy"),
        Sector.MATERIALS: N_("Materials"),
        Sector.ROBOTICS: N_("Robotics"),
        Sector.AGRONOMY: N_("Agronomy"),
        Sector.DEFENCE_SECURITY: N_("Defence and security"),
        Sector.EDUCATION: N_("Education"),
        Sector.MOBILITY: N_("Mobility"),
        Sector.FINANCE: N_("Finance"),
        Sector.HUMANITIES: N_("Humanities"),
        Sector.OTHER: N_("Other"),
    },
    OrgRole: {
        OrgRole.OWNER: N_("Owner"),
        OrgRole.ADMIN: N_("Admin"),
        OrgRole.MEMBER: N_("Member"),
    },
    ProjectRole: {
        ProjectRole.PI: N_("PI"),
        ProjectRole.MANAGER: N_("Manager"),
        ProjectRole.MEMBER: N_("Member"),
    },
    StaffRole: {
        StaffRole.ADMIN: N_("Staff admin"),
        StaffRole.REVIEWER: N_("Reviewer"),
        StaffRole.EXPERT: N_("Expert"),
        StaffRole.SUPPORT: N_("Support"),
    },
    ProjectStatus: {
        ProjectStatus.ACTIVE: N_("active"),
        ProjectStatus.CLOSED: N_("closed"),
        ProjectStatus.SUSPENDED: N_("suspended"),
    },
    TokenScope: {
        TokenScope.READ: N_("read"),
        TokenScope.WRITE: N_("write"),
        TokenScope.ADMIN: N_("admin"),
    },
}
