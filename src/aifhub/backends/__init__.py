"""Compute backends: where jobs run. See base.py for the interface and docs/backends.md.

base.py      the interface every backend implements (JobSpec in, ids and states out)
registry.py  the site file's ``backend`` kind -> its class (``make_backend``)
local/       jobs as sandboxed processes on this machine
slurm/       Slurm through its command-line tools or slurmrestd

The rules of a job's environment (which variables it may set) are aifhub.schemas.job_env,
shared by every backend and the job body's validation.
"""

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
]
