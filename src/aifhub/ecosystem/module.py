"""What the ecosystem domain plugs in: training, talents, incubators, funds, introductions."""

from __future__ import annotations

from aifhub.core.i18n import N_
from aifhub.core.modules import DomainModule, NavItem
from aifhub.ecosystem import api, api_partners, cli, web

module = DomainModule(
    name="ecosystem",
    api_routers=(api.router, api_partners.router),
    page_routers=(web.router,),
    nav=(
        NavItem(N_("Training"), "/training", order=60),
        NavItem(N_("Partners"), "/partners", order=70),
        NavItem(N_("Talents"), "/talent", order=75),
    ),
    commands=(cli.register,),
)
