"""The Slurm backend through the CLI tools: sbatch, squeue, sacct, scancel, scontrol.

Every call goes through :func:`run_slurm_command`, which runs the tool with a clean
environment (``TZ=UTC`` so timestamps parse as UTC, ``SLURM_CONF`` from settings, nothing of
the platform's secrets) and turns failures into the interface's error types.
"""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aifhub.backends.base import (
    AccountingRecord,
    BackendError,
    BackendJob,
    BackendUnavailable,
    ComputeBackend,
    JobSpec,
    JobState,
    LogStream,
    LogTail,
    SubmissionRejected,
    decode_log_chunk,
    read_log_chunk,
    read_log_tail_file,
)
from aifhub.backends.slurm.sbatch import (
    SACCT_DELIMITER,
    SACCT_FIELDS,
    map_slurm_state,
    parse_exit_code,
    parse_sacct,
    parse_slurm_time,
    render_sbatch,
    validate_login,
    wait_status_to_exit_code,
)

# Messages meaning "the cluster (or its database) is not reachable", not "your job is wrong".
UNAVAILABLE_MARKERS = (
    "unable to contact slurm controller",
    "slurm_persist_conn_open",
    "connection refused",
    "socket timed out",
    "zero bytes were transmitted",
    "communication connection failure",
    "unable to establish a connection",
    "slurmdbd: connect",
    "problem talking to the database",
    "controller in standby mode",
    "could not open config",
    "unable to process configuration file",
    "munge",
)
NOT_IN_QUEUE = "invalid job id specified"


def slurm_env(slurm_conf: str | None) -> dict[str, str]:
    """The environment the Slurm tools (and, through sbatch, the job) start with."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",  # squeue/sacct print local time; make "local" mean UTC
    }
    conf = slurm_conf or os.environ.get("SLURM_CONF")
    if conf:
        env["SLURM_CONF"] = conf
    return env


async def run_slurm_command(
    cmd: Sequence[str],
    env: Mapping[str, str],
    input: str | None = None,
    timeout_s: float = 60.0,
    cwd: str | None = None,
) -> str:
    """Run a Slurm tool and return its stdout.

    Raises BackendUnavailable when the tool is missing, times out or cannot reach the
    controller/database, and BackendError with the tool's message for any other failure.
    """
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE if input is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
        )
    except (FileNotFoundError, PermissionError) as exc:
        raise BackendUnavailable(f"cannot run {cmd[0]}: {exc}") from exc
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await proc.communicate(input.encode() if input is not None else None)
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise BackendUnavailable(f"{cmd[0]} did not answer within {timeout_s:g} s") from exc
    stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace").strip()
    if proc.returncode != 0:
        message = stderr or stdout.strip() or f"{cmd[0]} exited with {proc.returncode}"
        low = message.lower()
        if any(marker in low for marker in UNAVAILABLE_MARKERS):
            raise BackendUnavailable(message)
        raise BackendError(message)
    return stdout


class SlurmBackend(ComputeBackend):
    """Jobs on a Slurm cluster, driven through its command-line tools."""

    name = "slurm"

    def __init__(
        self,
        slurm_conf: str | None = None,
        log_dir: str | None = None,
        bin_dir: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.slurm_conf = slurm_conf
        self.log_dir = log_dir
        self.bin_dir = bin_dir
        self.timeout_s = timeout_s
        self.env = slurm_env(slurm_conf)
        self._log_paths: dict[tuple[str, str], str] = {}

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SlurmBackend:
        """Build from settings: slurm_conf, log_dir, bin_dir, timeout_s."""
        return cls(
            slurm_conf=settings.get("slurm_conf"),
            log_dir=settings.get("log_dir"),
            bin_dir=settings.get("bin_dir"),
            timeout_s=float(settings.get("timeout_s", 60.0)),
        )

    def _bin(self, tool: str) -> str:
        return str(Path(self.bin_dir) / tool) if self.bin_dir else tool

    async def _run(
        self, cmd: Sequence[str], input: str | None = None, cwd: str | None = None
    ) -> str:
        """Run one Slurm tool (first item of ``cmd``, looked up in bin_dir)."""
        argv = [self._bin(cmd[0]), *cmd[1:]]
        return await run_slurm_command(argv, self.env, input, self.timeout_s, cwd)

    # ------------------------------------------------------------------ submit / cancel

    async def submit(self, spec: JobSpec) -> str:
        """sbatch the rendered script (as ``spec.user`` when set) and return the job id."""
        script = render_sbatch(spec, self.log_dir)
        cmd = ["sbatch", "--parsable"]
        prefix: list[str] = []
        if spec.user and spec.user != getpass.getuser():
            login = validate_login(spec.user)
            # runuser (root only) makes sbatch itself run as the user: the job, its files and
            # its accounting belong to them, whatever the Slurm version supports for --uid.
            prefix = (
                ["runuser", "-u", login, "--"]
                if os.geteuid() == 0
                else ["sudo", "-n", "-u", login, "--"]
            )
        cwd = spec.workdir or self.log_dir or "/tmp"
        try:
            if prefix:
                out = await run_slurm_command(
                    [*prefix, self._bin("sbatch"), *cmd[1:]], self.env, script, self.timeout_s, cwd
                )
            else:
                out = await self._run(cmd, input=script, cwd=cwd)
        except BackendUnavailable:
            raise
        except BackendError as exc:
            raise SubmissionRejected(str(exc).removeprefix("sbatch: error: ")) from exc
        job_id = out.strip().split(";", 1)[0]
        if not job_id.isdigit():
            raise BackendError(f"unexpected sbatch output: {out!r}")
        return job_id

    async def cancel(self, backend_id: str) -> None:
        """scancel the job; a job that already ended is left alone."""
        _check_id(backend_id)
        try:
            await self._run(["scancel", backend_id])
        except BackendUnavailable:
            raise
        except BackendError as exc:
            if (
                "already completing or completed" in str(exc).lower()
                or NOT_IN_QUEUE in str(exc).lower()
            ):
                return
            raise

    # ------------------------------------------------------------------ state

    async def poll(self, ids: Sequence[str]) -> dict[str, BackendJob]:
        """One squeue for all ids, plus one sacct for those squeue no longer knows."""
        for i in ids:
            _check_id(i)
        if not ids:
            return {}
        fmt = "JobID:|,State:|,Reason:|,StartTime:|,EndTime:|,NodeList:|,exit_code:|"
        try:
            out = await self._run(["squeue", "-h", "--states=all", "-j", ",".join(ids), "-O", fmt])
        except BackendError as exc:
            # A single unknown id makes squeue fail; with several it just omits them.
            if NOT_IN_QUEUE not in str(exc).lower() or isinstance(exc, BackendUnavailable):
                raise
            out = ""
        found: dict[str, BackendJob] = {}
        for line in out.splitlines():
            f = line.split("|")
            if len(f) < 7 or f[0] not in ids:
                continue
            state = map_slurm_state(f[1])
            started, ended = parse_slurm_time(f[3]), parse_slurm_time(f[4])
            if state is JobState.PENDING or not started:
                started = ended = None
            elif not state.is_terminal:
                ended = None
            found[f[0]] = BackendJob(
                backend_id=f[0],
                state=state,
                reason=None if f[2] in ("None", "") else f[2],
                exit_code=wait_status_to_exit_code(f[6]) if state.is_terminal else None,
                started_at=started,
                ended_at=ended,
                elapsed_s=_elapsed(started, ended),
                node=f[5] or None,
            )
        missing = [i for i in ids if i not in found]
        if missing:
            found.update(await self._sacct_states(missing))
        return {i: found.get(i) or BackendJob(i, JobState.UNKNOWN, reason="not found") for i in ids}

    async def _sacct_states(self, ids: Sequence[str]) -> dict[str, BackendJob]:
        fields = "JobIDRaw,State,ExitCode,Start,End,ElapsedRaw,NodeList,Reason"
        out = await self._run(
            [
                "sacct",
                "-X",
                "-P",
                "-n",
                f"--delimiter={SACCT_DELIMITER}",
                "-j",
                ",".join(ids),
                "-o",
                fields,
            ]
        )
        jobs = {}
        for line in out.splitlines():
            f = line.split(SACCT_DELIMITER)
            if len(f) < 8:
                continue
            state = map_slurm_state(f[1])
            jobs[f[0]] = BackendJob(
                backend_id=f[0],
                state=state,
                reason=None if f[7] in ("None", "") else f[7],
                exit_code=parse_exit_code(f[2]) if state.is_terminal else None,
                started_at=parse_slurm_time(f[3]),
                ended_at=parse_slurm_time(f[4]) if state.is_terminal else None,
                elapsed_s=int(f[5]) if f[5].isdigit() else None,
                node=None if f[6] in ("None assigned", "") else f[6],
            )
        return jobs

    async def accounting(self, since: datetime) -> list[AccountingRecord]:
        """One ``sacct -a -X`` over [since, now] for all users, parsed by parse_sacct."""
        start = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        out = await self._run(
            [
                "sacct", "-a", "-X", "-P", "-n", f"--delimiter={SACCT_DELIMITER}",
                "-S", start, "-E", "now", "-o", SACCT_FIELDS,
            ]
        )  # fmt: skip
        return parse_sacct(out)

    async def health(self) -> bool:
        """True when slurmctld answers a ping."""
        try:
            out = await self._run(["scontrol", "ping"])
        except BackendError:
            return False
        return "UP" in out

    # ------------------------------------------------------------------ logs

    async def read_log(
        self, backend_id: str, offset: int = 0, stream: LogStream = "stdout"
    ) -> tuple[str, int]:
        """Read the job's output file (path from scontrol while Slurm remembers the job)."""
        _check_id(backend_id)
        if stream not in ("stdout", "stderr"):
            raise ValueError(f"stream must be 'stdout' or 'stderr', not {stream!r}")
        path = await self._log_path(backend_id, stream)
        if path is None:
            return "", offset
        data = await asyncio.to_thread(read_log_chunk, path, offset)
        return decode_log_chunk(data, offset)

    async def read_log_tail(
        self, backend_id: str, stream: LogStream = "stdout", max_bytes: int = 64 * 1024
    ) -> LogTail:
        """The end of the job's output or error file (``--error``, kept apart from stdout)."""
        _check_id(backend_id)
        if stream not in ("stdout", "stderr"):
            raise ValueError(f"stream must be 'stdout' or 'stderr', not {stream!r}")
        path = await self._log_path(backend_id, stream)
        if path is None:
            return LogTail("", 0, 0)
        return await asyncio.to_thread(read_log_tail_file, path, max_bytes)

    async def _log_path(self, backend_id: str, stream: str) -> str | None:
        key = (backend_id, stream)
        if key in self._log_paths:
            return self._log_paths[key]
        suffix = "out" if stream == "stdout" else "err"
        path: str | None = None
        try:
            out = await self._run(["scontrol", "show", "job", "-o", backend_id])
            field = "StdOut=" if stream == "stdout" else "StdErr="
            for token in out.split():
                if token.startswith(field):
                    path = token[len(field) :]
        except BackendUnavailable:
            raise
        except BackendError:
            # Gone from slurmctld's memory: rebuild the path from the work dir in accounting.
            if self.log_dir:
                path = f"{self.log_dir}/aifhub-{backend_id}.{suffix}"
            else:
                wd = await self._run(["sacct", "-X", "-P", "-n", "-j", backend_id, "-o", "WorkDir"])
                if wd.strip():
                    path = f"{wd.strip().splitlines()[0]}/aifhub-{backend_id}.{suffix}"
        if path:
            self._log_paths[key] = path
        return path


def _check_id(backend_id: str) -> None:
    if not backend_id.isdigit():
        raise ValueError(f"not a Slurm job id: {backend_id!r}")


def _elapsed(started: datetime | None, ended: datetime | None) -> int | None:
    if started is None:
        return None
    return int(((ended or datetime.now(UTC)) - started).total_seconds())
