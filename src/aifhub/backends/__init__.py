"""Compute backends: where jobs run. See base.py for the interface and docs/backends.md."""

from aifhub.backends.base import (
    AccountingRecord,
    BackendError,
    BackendJob,
    BackendUnavailable,
    ComputeBackend,
    JobSpec,
    JobState,
    StagedInput,
    SubmissionRejected,
    make_backend,
)

__all__ = [
    "AccountingRecord",
    "BackendError",
    "BackendJob",
    "BackendUnavailable",
    "ComputeBackend",
    "JobSpec",
    "JobState",
    "StagedInput",
    "SubmissionRejected",
    "make_backend",
]
