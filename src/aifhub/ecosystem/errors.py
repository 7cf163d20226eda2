"""Ecosystem errors."""

from __future__ import annotations

from aifhub.core.errors import AppError, Conflict


class SessionFull(Conflict):
    type, title = "session-full", "Session full"


class NotEligible(AppError):
    status, type, title = 422, "not-eligible", "Not eligible"
