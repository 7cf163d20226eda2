"""Access's wire values: allocation, application and review states."""

from __future__ import annotations

from enum import StrEnum


class AllocationState(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    EXPIRED = "expired"
    SUSPENDED = "suspended"


class ApplicationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHECKED = "checked"
    TECHNICAL_ASSESSMENT = "technical_assessment"
    PEER_REVIEW = "peer_review"
    CHANGES_REQUESTED = "changes_requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ALLOCATED = "allocated"
    WITHDRAWN = "withdrawn"


class ApplicationKind(StrEnum):
    NEW = "new"
    RENEWAL = "renewal"
    TOP_UP = "top_up"


class ReviewState(StrEnum):
    ASSIGNED = "assigned"
    SUBMITTED = "submitted"
    CONFLICT = "conflict"  # the reviewer declared a conflict of interest
