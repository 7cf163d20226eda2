"""Fixtures of the attack tests."""

from ..smtp_server import smtp_server  # noqa: F401 (a fixture, used by name)
