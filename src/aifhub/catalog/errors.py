"""Catalogue errors, each with its HTTP status and a message a user can act on."""

from __future__ import annotations

from aifhub.core.errors import AppError


class GrantRequired(AppError):
    """The project holds no active grant for a gated or restricted asset."""

    status, type, title = 403, "grant-required", "Access grant required"


class GrantExpired(AppError):
    """The project's grant for the asset has expired or was revoked."""

    status, type, title = 403, "grant-expired", "Access grant expired"


class PolicyDenied(AppError):
    """The asset's usage policy does not permit this use."""

    status, type, title = 403, "policy-denied", "Not permitted by the asset's policy"


class InputUnavailable(AppError):
    """A granted version's files are missing from the store, so a job cannot read them."""

    status, type, title = 409, "input-unavailable", "Input unavailable"
