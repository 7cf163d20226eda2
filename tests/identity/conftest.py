"""The federated sign-in tests' world: the test OpenID provider and an aifhub server using it
(session-wide; the security tests import them too)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ..conftest import DATABASES
from .oidc_harness import free_port, running_aifhub, running_provider

# The secret has characters that client_secret_basic must form-encode (RFC 6749 §2.3.1).
CLIENT_ID, CLIENT_SECRET = "aifhub-test", "s3cret:with/odd+chars%"
ACCOUNTS = {
    "ada": {
        "email": "Ada@Example.eu",
        "email_verified": True,
        "name": "Ada Lovelace",
        "groups": ["aifhub-admins", "everyone"],
        "realm_access": {"roles": ["support-team"]},
        "hpc_login": "alovelace",
    },
    "nomail": {"name": "No Mail", "groups": ["aifhub-admins"]},
}


@dataclass
class OpenIDProvider:
    issuer: str
    app_ports: dict[str, int]  # one registered redirect URI per database kind


@pytest.fixture(scope="session")
def openid_provider() -> Iterator[OpenIDProvider]:
    """oidc-provider running under Node.js with a static client for aifhub."""
    app_ports = {kind: free_port() for kind in DATABASES}
    with running_provider(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        accounts=ACCOUNTS,
        app_urls=[f"http://127.0.0.1:{p}" for p in app_ports.values()],
    ) as issuer:
        yield OpenIDProvider(issuer=issuer, app_ports=app_ports)


@pytest.fixture(scope="session")
def aifhub_url(
    openid_provider: OpenIDProvider, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real uvicorn server of aifhub whose site file names the test provider."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    site = f"""
[[oidc]]
name = "testidp"
label = "Test federation"
issuer = "{openid_provider.issuer}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
scopes = "openid email profile groups roles hpc"
[oidc.role_claims]
groups = {{ "aifhub-admins" = "admin" }}
"realm_access.roles" = {{ "support-team" = "support" }}

# A Slurm cluster that trusts the provider's hpc_login claim as the user's login there.
[[clusters]]
name = "jz"
backend = "slurm"
[clusters.settings]
cluster_name = "ci"
[clusters.logins]
oidc_provider = "testidp"
oidc_claim = "hpc_login"
[[clusters.partitions]]
name = "cpu"
cores_per_node = 16
"""
    with running_aifhub(
        port=openid_provider.app_ports[kind],
        database_url=database_url,
        var=tmp_path_factory.mktemp("oidc-var"),
        site=site,
    ) as url:
        yield url
