"""Compute's wire values: job states, cluster-login states and sources."""

from __future__ import annotations

from enum import StrEnum

from aifhub.schemas.enums.labels import N_, Labels


class JobStatus(StrEnum):
    """Platform job states: the outbox states, then the backend's own (backends.JobState)."""

    QUEUED = "queued"  # accepted and recorded; the worker has not handed it over yet
    SUBMITTING = "submitting"  # a worker is handing it to the backend right now
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    NODE_FAIL = "node_fail"
    OUT_OF_MEMORY = "out_of_memory"


TERMINAL_STATUSES = frozenset(
    {
        JobStatus.COMPLETED.value,
        JobStatus.FAILED.value,
        JobStatus.CANCELLED.value,
        JobStatus.TIMEOUT.value,
        JobStatus.NODE_FAIL.value,
        JobStatus.OUT_OF_MEMORY.value,
    }
)


class LoginStatus(StrEnum):
    """Where a cluster login stands: only `approved` ones reach the cluster."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


class LoginSource(StrEnum):
    """Who proved (or asked for) a cluster login."""

    STAFF = "staff"  # mapped by a staff admin
    OIDC = "oidc"  # a trusted claim of the identity provider
    MAPPING = "mapping"  # the cluster's site mapping file
    REQUEST = "request"  # the user's own word: pending until staff approve it


LABELS: Labels = {
    JobStatus: {
        JobStatus.QUEUED: N_("queued"),
        JobStatus.SUBMITTING: N_("submitting"),
        JobStatus.PENDING: N_("pending"),
        JobStatus.RUNNING: N_("running"),
        JobStatus.COMPLETED: N_("completed"),
        JobStatus.FAILED: N_("failed"),
        JobStatus.CANCELLED: N_("cancelled"),
        JobStatus.TIMEOUT: N_("timed out"),
        JobStatus.NODE_FAIL: N_("node failure"),
        JobStatus.OUT_OF_MEMORY: N_("out of memory"),
    },
    LoginStatus: {
        LoginStatus.PENDING: N_("waiting for approval"),
        LoginStatus.APPROVED: N_("approved"),
        LoginStatus.REJECTED: N_("rejected"),
        LoginStatus.REVOKED: N_("revoked"),
    },
    LoginSource: {
        LoginSource.STAFF: N_("set by the staff"),
        LoginSource.OIDC: N_("identity provider"),
        LoginSource.MAPPING: N_("site mapping file"),
        LoginSource.REQUEST: N_("requested by the user"),
    },
}
