"""The compute backend interface: the one extension point between aifhub and a scheduler.

A backend turns a :class:`JobSpec` into a job on some compute resource and reports what
became of it. It never touches the platform's database: the compute domain owns the job
rows, stores the backend's id (``backend_id``) and calls :meth:`ComputeBackend.poll` /
:meth:`ComputeBackend.accounting` to learn states and usage.

Error contract (what the caller does with each):

* :class:`BackendUnavailable` -- the cluster is down or unreachable; nothing was decided.
  Keep the job queued and retry later.
* :class:`SubmissionRejected` -- the scheduler looked at the job and refused it (bad account,
  partition, limits...). Mark the job failed and show the message to the user.
* ``ValueError`` -- the spec itself is invalid (e.g. a name with forbidden characters);
  raised before anything reaches the scheduler.

Implementations: ``local`` (processes on this machine), ``slurm`` (the Slurm CLI tools),
``slurmrest`` (slurmrestd with JWT). Build one with
:func:`aifhub.backends.registry.make_backend`.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

LogStream = Literal["stdout", "stderr"]


class JobState(StrEnum):
    """Scheduler-neutral job state; values are lowercase strings fit for storage."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    NODE_FAIL = "node_fail"
    OUT_OF_MEMORY = "out_of_memory"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """True when the job will not change state any more."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        JobState.COMPLETED,
        JobState.FAILED,
        JobState.CANCELLED,
        JobState.TIMEOUT,
        JobState.NODE_FAIL,
        JobState.OUT_OF_MEMORY,
    }
)


@dataclass(frozen=True)
class StagedInput:
    """A file or folder exposed read-only to the job.

    ``source_path`` is where it lives on the machine that runs the job (a shared filesystem for
    Slurm); ``mount_path`` is where the job sees it. The local backend binds it there in its
    sandbox; Slurm has no private mounts, so the Slurm backend exports
    ``AIFHUB_INPUT_<NAME>=<source_path>`` instead and the job reads from the source path.
    """

    name: str
    source_path: str
    mount_path: str


@dataclass(frozen=True)
class JobSpec:
    """Everything a backend needs to run one job.

    ``script`` is the body of a bash script (no shebang needed). ``account`` is the Slurm
    account charged (ignored by the local backend); ``user`` is the cluster login the job runs
    as (Slurm only; the local backend runs everything as the platform's own user).
    ``comment`` carries the platform's job id (e.g. ``"aifhub:123"``) so that accounting
    records can be matched back to job rows.
    """

    name: str
    script: str
    partition: str
    account: str | None
    user: str | None
    time_limit_s: int
    nodes: int = 1
    ntasks: int = 1
    cpus_per_task: int = 1
    gpus: int = 0
    mem_mb: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    workdir: str | None = None
    qos: str | None = None
    constraint: str | None = None
    inputs: list[StagedInput] = field(default_factory=list)
    allow_network: bool = False
    comment: str | None = None

    @property
    def total_cpus(self) -> int:
        """CPUs the job holds in total."""
        return self.ntasks * self.cpus_per_task


@dataclass
class BackendJob:
    """What a backend knows about one job right now (datetimes are UTC-aware)."""

    backend_id: str
    state: JobState
    reason: str | None = None
    exit_code: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    elapsed_s: int | None = None
    node: str | None = None


@dataclass
class AccountingRecord:
    """One finished (or running) job as the scheduler's accounting reports it.

    ``elapsed_s`` x ``alloc_gpus`` (or ``alloc_cpus``) is what the platform charges.
    """

    backend_id: str
    account: str | None
    user: str | None
    partition: str | None
    state: JobState
    submitted_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    elapsed_s: int
    alloc_gpus: int
    alloc_cpus: int
    comment: str | None
    name: str
    exit_code: int | None = None  # the job's own exit code, 128+signal when killed


class BackendError(Exception):
    """Base class of every error a backend raises on purpose."""


class BackendUnavailable(BackendError):
    """The cluster is down or unreachable: keep the job queued and retry later."""


class SubmissionRejected(BackendError):
    """The scheduler refused the job: mark it failed with this message."""


class ComputeBackend(abc.ABC):
    """A place where jobs run. All methods are coroutines and safe to call concurrently.

    Implementations must:

    * make :meth:`poll` one batched call to the scheduler, whatever the number of ids;
    * raise :class:`BackendUnavailable` / :class:`SubmissionRejected` as described in the
      module docstring, never a bare subprocess or HTTP error;
    * return UTC-aware datetimes.
    """

    name: str

    @abc.abstractmethod
    async def submit(self, spec: JobSpec) -> str:
        """Submit a job and return the backend's id for it (e.g. the Slurm job id)."""

    @abc.abstractmethod
    async def poll(self, ids: Sequence[str]) -> dict[str, BackendJob]:
        """Return the current state of each id, in one batched query.

        Ids the backend has never heard of are reported with state ``UNKNOWN``.
        """

    @abc.abstractmethod
    async def cancel(self, backend_id: str) -> None:
        """Cancel a pending or running job; cancelling a finished job is a no-op."""

    @abc.abstractmethod
    async def read_log(
        self, backend_id: str, offset: int = 0, stream: LogStream = "stdout"
    ) -> tuple[str, int]:
        """Read a job's output from byte ``offset``; return the text and the new offset.

        Calling again with the returned offset gives only what was written since, which is
        how ``logs --follow`` works. A log that does not exist yet reads as ``("", offset)``.
        Text is decoded as UTF-8 with replacement; the offset always counts bytes and never
        splits a multi-byte character.
        """

    async def read_log_tail(
        self, backend_id: str, stream: LogStream = "stdout", max_bytes: int = 64 * 1024
    ) -> LogTail:
        """The last ``max_bytes`` of a job's output (file backends override this with a seek)."""
        text, offset, end = "", 0, 0
        while True:
            chunk, end = await self.read_log(backend_id, end, stream)
            if not chunk:
                break
            text += chunk
            if len(text.encode()) > max_bytes:
                kept = text.encode()[-max_bytes:]
                offset = end - len(kept)
                text = kept.decode("utf-8", errors="ignore")
        return LogTail(text, offset, end)

    @abc.abstractmethod
    async def accounting(self, since: datetime) -> list[AccountingRecord]:
        """Return accounting records of jobs that ended (or are running) since ``since``."""

    @abc.abstractmethod
    async def health(self) -> bool:
        """True when the backend can take submissions now."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release what the backend holds (HTTP clients, background tasks)."""


MAX_LOG_CHUNK = 1 << 20


@dataclass(frozen=True)
class LogTail:
    """The end of a log: its text, the byte offset it starts at (> 0: cut) and the log's size."""

    text: str
    start: int
    end: int

    @property
    def truncated(self) -> bool:
        """True when the log has more before ``text``."""
        return self.start > 0


def read_log_tail_file(path: str | os.PathLike[str], max_bytes: int) -> LogTail:
    """The last ``max_bytes`` of a log file, cut at character boundaries (empty when absent)."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            start = max(0, size - max_bytes)
            f.seek(start)
            data = f.read(size - start)
    except FileNotFoundError:
        return LogTail("", 0, 0)
    skip = 0
    if start > 0:  # drop the continuation bytes of a character cut at the front
        while skip < min(3, len(data)) and data[skip] & 0xC0 == 0x80:
            skip += 1
    text, end = decode_log_chunk(data[skip:], start + skip)
    return LogTail(text, start + skip, end)


def read_log_chunk(path: str | os.PathLike[str], offset: int) -> bytes:
    """Up to MAX_LOG_CHUNK bytes of a log file from ``offset`` (nothing when it is absent)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read(MAX_LOG_CHUNK)
    except FileNotFoundError:
        return b""


def decode_log_chunk(data: bytes, offset: int) -> tuple[str, int]:
    """Decode bytes read at ``offset``, stopping before an incomplete trailing UTF-8 char."""
    cut = len(data)
    # A UTF-8 sequence is at most 4 bytes: look back at most 3 bytes for a lead byte whose
    # sequence runs past the end, and keep it for the next read.
    for back in range(1, min(4, len(data)) + 1):
        b = data[-back]
        if b & 0xC0 == 0x80:  # continuation byte, keep looking for the lead byte
            continue
        need = 2 if b & 0xE0 == 0xC0 else 3 if b & 0xF0 == 0xE0 else 4 if b & 0xF8 == 0xF0 else 1
        if need > back:
            cut = len(data) - back
        break
    return data[:cut].decode("utf-8", errors="replace"), offset + cut
