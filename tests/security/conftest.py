"""Fixtures of the attack tests: a real SMTP server, a real OpenID provider and aifhub server."""

from ..identity.test_oidc import aifhub_url, openid_provider  # noqa: F401 (fixtures, by name)
from ..smtp_server import smtp_server  # noqa: F401 (a fixture, used by name)
