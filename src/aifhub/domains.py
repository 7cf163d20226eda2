"""The domains this platform is built from, in layer order (bottom first).

The app (routers, pages, nav, cards, sign-in hooks), the worker (periodic tasks) and the CLI
(commands) iterate this list and nothing else: a domain that is not listed here plugs in
nothing. Ties in the navigation's order keep this order.
"""

from __future__ import annotations

from aifhub.access.module import module as access
from aifhub.catalog.module import module as catalog
from aifhub.compute.module import module as compute
from aifhub.core.modules import Assembly
from aifhub.ecosystem.module import module as ecosystem
from aifhub.identity.module import module as identity
from aifhub.recommend.module import module as recommend
from aifhub.resources.module import module as resources
from aifhub.support.module import module as support

DOMAINS = Assembly((identity, resources, access, compute, catalog, support, ecosystem, recommend))
