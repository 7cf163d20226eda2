"""What the support domain plugs in: tickets, experts, the knowledge base, SLA warnings."""

from __future__ import annotations

from aifhub.core.i18n import N_
from aifhub.core.modules import DomainModule, NavItem, Periodic
from aifhub.support import api, attachments, cli, tasks, web
from aifhub.support.project_section import support_section

module = DomainModule(
    name="support",
    api_routers=(api.router,),
    page_routers=(web.router,),
    nav=(
        NavItem(N_("Support"), "/support", order=50),
        NavItem(
            N_("Support desk"),
            "/support/desk",
            staff_only=True,
            staff_roles=("support",),
            order=920,
        ),
    ),  # fmt: skip
    project_sections=(support_section,),
    periodic=(Periodic("support.sla_breaches", 300.0, tasks.warn_sla_breaches),),
    commands=(cli.register,),
    # Attachments of the former on-disk layout move into the object store at start-up.
    startup=(attachments.adopt_legacy_files,),
)
