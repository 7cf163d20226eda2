"""Access's wire values: allocation, application and review states."""

from __future__ import annotations

from enum import StrEnum

from aifhub.schemas.enums.labels import N_, Labels


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


class ReviewStep(StrEnum):
    """The review steps an access mode may declare (`review_steps` of the site file)."""

    TECHNICAL = "technical"
    PEER = "peer"


class ReviewState(StrEnum):
    ASSIGNED = "assigned"
    SUBMITTED = "submitted"
    CONFLICT = "conflict"  # the reviewer declared a conflict of interest


LABELS: Labels = {
    AllocationState: {
        AllocationState.SCHEDULED: N_("scheduled"),
        AllocationState.ACTIVE: N_("active"),
        AllocationState.EXPIRED: N_("expired"),
        AllocationState.SUSPENDED: N_("suspended"),
    },
    ApplicationState: {
        ApplicationState.DRAFT: N_("draft"),
        ApplicationState.SUBMITTED: N_("submitted"),
        ApplicationState.CHECKED: N_("checked"),
        ApplicationState.TECHNICAL_ASSESSMENT: N_("technical assessment"),
        ApplicationState.PEER_REVIEW: N_("peer review"),
        ApplicationState.CHANGES_REQUESTED: N_("changes requested"),
        ApplicationState.ACCEPTED: N_("accepted"),
        ApplicationState.REJECTED: N_("rejected"),
        ApplicationState.ALLOCATED: N_("allocated"),
        ApplicationState.WITHDRAWN: N_("withdrawn"),
    },
    ApplicationKind: {
        ApplicationKind.NEW: N_("new application"),
        ApplicationKind.RENEWAL: N_("renewal"),
        ApplicationKind.TOP_UP: N_("top-up"),
    },
    ReviewState: {
        ReviewState.ASSIGNED: N_("to do"),
        ReviewState.SUBMITTED: N_("submitted"),
        ReviewState.CONFLICT: N_("conflict of interest"),
    },
    ReviewStep: {
        ReviewStep.TECHNICAL: N_("technical review"),
        ReviewStep.PEER: N_("peer review"),
    },
}
