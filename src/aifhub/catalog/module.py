"""What the catalogue plugs in: datasets and models, grants, and job inputs for compute."""

from __future__ import annotations

from aifhub.catalog import api, api_hub, api_linked, cli, web
from aifhub.catalog.card import requests_card
from aifhub.catalog.job_inputs import CatalogJobInputs
from aifhub.catalog.project_section import catalog_section
from aifhub.compute import JobInputs
from aifhub.core.i18n import N_
from aifhub.core.modules import DomainModule, NavItem

# Typed as the protocol so that mypy checks the catalogue implements what compute calls.
JOB_INPUTS: JobInputs = CatalogJobInputs()

module = DomainModule(
    name="catalog",
    api_routers=(api.router, api_linked.router),
    page_routers=(web.router,),
    root_routers=(api_hub.router,),
    nav=(NavItem(N_("Catalogue"), "/catalog", order=50),),
    cards=(requests_card,),
    project_sections=(catalog_section,),
    commands=(cli.register,),
    provides=(JOB_INPUTS,),
)
