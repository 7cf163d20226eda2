"""Users, organisations, memberships, projects, project roles, API tokens, OIDC.

This package is the domain's public face: other domains import only what it exports here
(the shared kernel, identity's models, excepted). Inside the domain, modules import each other
by their own path.
"""

from __future__ import annotations

from aifhub.identity.credentials import Principal, claim_value, reload_user, resolve_token
from aifhub.identity.demo import DEMO_PASSWORD
from aifhub.identity.deps import (
    CurrentUser,
    OptionalPrincipal,
    StaffUser,
    current_principal,
    optional_principal,
)
from aifhub.identity.page_deps import CsrfForm, OptionalPageUser, PageUser, StaffPageUser
from aifhub.identity.projects import (
    PROJECT_MANAGERS,
    get_project,
    list_projects,
    project_role,
    project_slug,
    require_project_role,
    visible_projects,
)
from aifhub.identity.service import (
    ORG_MANAGERS,
    create_org,
    create_user,
    get_org,
    get_user_by_email,
    list_orgs,
    org_role,
)
from aifhub.identity.web_common import SECTORS, choices, page, refused, refused_message

__all__ = [
    "CsrfForm",
    "CurrentUser",
    "DEMO_PASSWORD",
    "ORG_MANAGERS",
    "OptionalPageUser",
    "OptionalPrincipal",
    "PROJECT_MANAGERS",
    "PageUser",
    "Principal",
    "SECTORS",
    "StaffPageUser",
    "StaffUser",
    "choices",
    "claim_value",
    "create_org",
    "create_user",
    "current_principal",
    "get_org",
    "get_project",
    "get_user_by_email",
    "list_orgs",
    "list_projects",
    "optional_principal",
    "org_role",
    "page",
    "project_role",
    "project_slug",
    "refused",
    "refused_message",
    "reload_user",
    "resolve_token",
    "require_project_role",
    "visible_projects",
]
