"""Typed errors of the access domain, each with its HTTP status and an actionable message."""

from __future__ import annotations

from aifhub.core.errors import AppError, Conflict, InvalidInput, PermissionDenied


class IllegalTransition(Conflict):
    """An action that the application's current state does not allow."""

    type, title = "illegal-transition", "Illegal transition"


class NotEligible(InvalidInput):
    """The application fails the mode's eligibility rules (the failures are listed)."""

    type, title = "not-eligible", "Not eligible"


class ReviewsMissing(Conflict):
    """A decision or a step change that needs more submitted reviews."""

    type, title = "reviews-missing", "Reviews missing"


class ConflictOfInterest(PermissionDenied):
    """Someone who may not decide, assess or review this application (their own)."""

    type, title = "conflict-of-interest", "Conflict of interest"


class NoActiveAllocation(AppError):
    """The project has no allocation active now on the partition (what it has is said)."""

    status, type, title = 402, "no-active-allocation", "No active allocation"
