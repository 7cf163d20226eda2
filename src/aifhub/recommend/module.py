"""What the recommend domain plugs in: recommendations, search, the help card."""

from __future__ import annotations

from aifhub.core.i18n import N_
from aifhub.core.modules import DomainModule, NavItem
from aifhub.recommend import api, cli, web
from aifhub.recommend.project_section import recommend_section

module = DomainModule(
    name="recommend",
    api_routers=(api.router,),
    page_routers=(web.router,),
    nav=(NavItem(N_("Search"), "/search", order=80),),
    cards=(web.help_card,),
    project_sections=(recommend_section,),
    commands=(cli.register,),
)
