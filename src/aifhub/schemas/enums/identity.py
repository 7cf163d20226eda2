"""Identity's wire values: organisation kinds, sectors, roles."""

from __future__ import annotations

from enum import StrEnum


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
