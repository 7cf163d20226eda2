"""What the identity domain plugs in: accounts, organisations, projects, tokens, OIDC."""

from __future__ import annotations

from aifhub.core.i18n import N_
from aifhub.core.modules import DomainModule, NavItem
from aifhub.identity import (
    api,
    cli,
    oidc,
    web,
    web_orgs,
    web_passwords,
    web_projects,
    web_staff,
)

module = DomainModule(
    name="identity",
    api_routers=(api.router,),
    page_routers=(
        web.router,
        web_passwords.router,
        web_orgs.router,
        web_projects.router,
        web_staff.router,
        oidc.router,
    ),
    nav=(
        NavItem(N_("Dashboard"), "/", order=10),
        NavItem(N_("Projects"), "/projects", order=20),
        NavItem(N_("Organisations"), "/organisations", order=30),
        NavItem(N_("Audit log"), "/staff/audit", staff_only=True, order=900),
        NavItem(N_("Users"), "/staff/users", staff_only=True, staff_roles=("admin",), order=910),
    ),
    commands=(cli.register,),
)
