"""Typed errors of the access domain, each with its HTTP status and an actionable message."""

from __future__ import annotations

from aifhub.core.errors import Conflict, InvalidInput


class IllegalTransition(Conflict):
    """An action that the application's current state does not allow."""

    type, title = "illegal-transition", "Illegal transition"


class NotEligible(InvalidInput):
    """The application fails the mode's eligibility rules (the failures are listed)."""

    type, title = "not-eligible", "Not eligible"


class ReviewsMissing(Conflict):
    """A decision or a step change that needs more submitted reviews."""

    type, title = "reviews-missing", "Reviews missing"


class ConflictOfInterest(Conflict):
    """A reviewer who may not review this application."""

    type, title = "conflict-of-interest", "Conflict of interest"
