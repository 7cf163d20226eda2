"""What the resources domain plugs in: the partitions API and the site file's sync at start-up.

Start-up steps run in layer order, so the clusters exist before compute applies its login
mapping files.
"""

from __future__ import annotations

from aifhub.core.modules import DomainModule
from aifhub.resources import api, tasks

module = DomainModule(
    name="resources",
    api_routers=(api.router,),
    startup=(tasks.sync_site_file,),
)
