"""What the access domain plugs in: calls, applications, reviews, allocations."""

from __future__ import annotations

from aifhub.access import api, cli, cli_allocations, tasks, web, web_staff
from aifhub.access.card import access_card
from aifhub.access.metrics import allocation_gauges
from aifhub.access.project_section import access_section
from aifhub.core.i18n import N_
from aifhub.core.modules import DomainModule, NavItem, Periodic

module = DomainModule(
    name="access",
    api_routers=(api.router,),
    page_routers=(web.router, web_staff.router),
    nav=(
        NavItem(N_("Applications"), "/applications", order=24),
        NavItem(N_("Allocations"), "/allocations", order=26),
        NavItem(
            N_("Reviews"),
            "/staff/reviews",
            staff_only=True,
            staff_roles=("reviewer", "expert"),
            order=880,
        ),
        NavItem(N_("Access dashboard"), "/staff/access", staff_only=True, order=890),
    ),  # fmt: skip
    cards=(access_card,),
    project_sections=(access_section,),
    periodic=(
        Periodic("access.allocation_states", 300.0, tasks.allocation_states),
        Periodic("access.allocation_notices", 3600.0, tasks.allocation_notices),
    ),
    commands=(cli.register, cli_allocations.register),
    gauges=(allocation_gauges,),
)
