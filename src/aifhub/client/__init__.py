"""The Python SDK of aifhub: `Client(base_url, token)` with one namespace per domain.

from aifhub.client import Client
with Client("https://aifhub.example.eu", token="aifh_...") as c:
    for project in c.iter_projects():
        print(project.slug, project.my_role)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import httpx

from aifhub.client.access import AccessModes, Allocations, Applications, Reviews
from aifhub.client.base import BaseClient, Resource
from aifhub.client.catalog import Catalog
from aifhub.client.compute import ClusterLogins, Jobs
from aifhub.client.config import ClientConfig, config_path, load_config, save_config
from aifhub.client.ecosystem import Courses, Offers, Partners
from aifhub.client.errors import ApiError, ClientError, ServerUnreachable
from aifhub.client.identity import DEFAULT_SCOPES, Organisations, Projects, Tokens
from aifhub.client.recommend import Recommendations
from aifhub.client.support import Experts, KnowledgeBase, Tickets
from aifhub.schemas.identity import OrganisationRead, ProjectRead, TokenCreated, UserRead

__all__ = [
    "ApiError",
    "Client",
    "ClientConfig",
    "ClientError",
    "Resource",
    "ServerUnreachable",
    "config_path",
    "load_config",
    "save_config",
]


class Client(BaseClient):
    """A synchronous client of the aifhub REST API (/api/v1)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, token, timeout=timeout, transport=transport)
        # One line per domain: each namespace is a Resource subclass of its own module.
        self.organisations = Organisations(self)
        self.projects = Projects(self)
        self.tokens = Tokens(self)
        self.access_modes, self.applications = AccessModes(self), Applications(self)
        self.reviews, self.allocations = Reviews(self), Allocations(self)
        self.tickets, self.experts, self.kb = Tickets(self), Experts(self), KnowledgeBase(self)
        self.courses, self.partners, self.offers = Courses(self), Partners(self), Offers(self)
        self.recommend = Recommendations(self)
        self.catalog = Catalog(self)
        self.jobs = Jobs(self)
        self.cluster_logins = ClusterLogins(self)

    @classmethod
    def from_config(cls, config: ClientConfig | None = None, *, timeout: float = 30.0) -> Client:
        """A client for the CLI's saved server and token (env AIFHUB_URL/AIFHUB_TOKEN win)."""
        config = config or load_config()
        return cls(config.url, config.token, timeout=timeout)

    def login(
        self,
        email: str,
        password: str,
        token_name: str = "sdk",
        *,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        expires_in_days: int | None = 90,
    ) -> TokenCreated:
        """Exchange an e-mail and password for a new API token, and use it from now on."""
        data = {
            "email": email,
            "password": password,
            "name": token_name,
            "scopes": list(scopes),
            "expires_in_days": expires_in_days,
        }
        created: TokenCreated = self.call("POST", "/tokens/login", TokenCreated, json=data)
        self.token = created.token
        return created

    def me(self) -> UserRead:
        """The signed-in user."""
        return self.call("GET", "/me", UserRead)

    def iter_projects(
        self, *, organisation: str | None = None, page_size: int = 200
    ) -> Iterator[ProjectRead]:
        """Every visible project across pages."""
        return self.projects.iter(organisation=organisation, page_size=page_size)

    def iter_organisations(self, *, page_size: int = 200) -> Iterator[OrganisationRead]:
        """Every visible organisation across pages."""
        return self.organisations.iter(page_size=page_size)
