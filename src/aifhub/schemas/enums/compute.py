"""Compute's wire values: job states, cluster-login states and sources."""

from __future__ import annotations

from enum import StrEnum


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
