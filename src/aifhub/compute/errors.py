"""Typed refusals of the compute domain: each names the numbers a user needs to fix the request."""

from __future__ import annotations

from aifhub.core.errors import AppError, Conflict, InvalidInput, PermissionDenied


class ResourcesExceedPartition(InvalidInput):
    type, title = "resources-exceed-partition", "Resources exceed the partition"


class NotProjectMember(PermissionDenied):
    type, title = "not-project-member", "Not a member of the project"


class AllocationExhausted(AppError):
    status, type, title = 402, "allocation-exhausted", "Allocation exhausted"


class InputNotAllowed(PermissionDenied):
    type, title = "grant-required", "Input not allowed"


class JobNotCancellable(Conflict):
    type, title = "job-not-cancellable", "Job cannot be cancelled"


class NetworkNotAllowed(PermissionDenied):
    type, title = "network-not-allowed", "Network not allowed"


class WorkdirNotAllowed(InvalidInput):
    type, title = "workdir-not-allowed", "Working directory not allowed"
