"""Support errors, each with its HTTP status and a message a user can act on."""

from __future__ import annotations

from aifhub.core.errors import AppError, Conflict


class UnsupportedMediaType(AppError):
    status, type, title = 415, "unsupported-media-type", "Unsupported media type"


class InvalidTransition(Conflict):
    type, title = "invalid-transition", "Invalid state transition"
