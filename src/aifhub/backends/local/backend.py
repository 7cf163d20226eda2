"""The local backend: jobs run as processes on this machine (the embedded default).

The machine is one "node" with declared CPUs, GPUs and memory. Jobs wait in a FIFO queue
with EASY backfill (a later job may jump ahead only if it does not delay the first waiting
job, judged by time limits), and never more than the declared resources are handed out.

All state lives in files under ``state_dir`` (see :mod:`aifhub.backends.local.files`): a
restarted platform finds its jobs again, adopts the ones still running (pid + process start
time of their runner), and declares lost the ones whose runner died without a result.
Scheduling passes hold an exclusive ``flock`` on ``state_dir/sched.lock``, so two processes
sharing a state dir never hand out the same resources twice.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import subprocess
import sys
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

import aifhub
from aifhub.backends.base import (
    AccountingRecord,
    BackendJob,
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
from aifhub.backends.local.files import (
    claim_job_dir,
    id_key,
    now_utc,
    parse_dt,
    process_start_time,
    read_json,
    same_process_alive,
    write_json_atomic,
    write_json_once,
)
from aifhub.backends.local.sandbox import (
    NOBODY,
    BindPath,
    check_workdir,
    find_bwrap,
)
from aifhub.backends.local.scheduler import Demand, RunningJob, demand_of, pick_jobs_to_start
from aifhub.backends.local.status import accounting_records, job_status
from aifhub.schemas.job_env import refused_env_name

log = logging.getLogger(__name__)

RUNNER_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
LOST_REASON = "lost: runner exited without recording a result"


class LocalBackend(ComputeBackend):
    """Runs jobs as sandboxed processes on this machine, within declared resources."""

    name = "local"

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        cpus: int | None = None,
        gpus: int = 0,
        mem_mb: int | None = None,
        sandbox: bool = True,
        extra_ro_binds: Sequence[str] = (),
        kill_grace_s: float = 2.0,
        tick_interval_s: float = 0.2,
        bind_paths: Sequence[Mapping[str, Any]] = (),
        job_uid: int = NOBODY,
        job_gid: int | None = None,
    ) -> None:
        # Absolute: the runner and the sandbox work from the job's own folder.
        self.state_dir = Path(state_dir).resolve()
        self.jobs_dir = self.state_dir / "jobs"
        self.active_dir = self.state_dir / "active"  # one empty file per non-finished job
        for d in (self.jobs_dir, self.active_dir):
            d.mkdir(parents=True, exist_ok=True)
        # Only the platform reads its bookkeeping; a job never sees this folder.
        self.state_dir.chmod(0o700)
        self.cpus = cpus or os.cpu_count() or 1
        self.gpus = gpus
        self.mem_mb = mem_mb if mem_mb is not None else _total_mem_mb()
        self.sandbox = sandbox
        self.bwrap = find_bwrap() if sandbox else None
        if sandbox and self.bwrap is None:
            log.error("bubblewrap (bwrap) not found: local jobs are refused (or set sandbox=false)")
        self.extra_ro_binds = list(extra_ro_binds)
        self.bind_paths = [BindPath.from_setting(b) for b in bind_paths]
        if job_uid == 0 or job_gid == 0:
            raise ValueError("job_uid and job_gid of a local cluster must not be 0 (root)")
        # A job never runs as root: when the platform does, jobs run as this uid/gid.
        self.run_as_root = os.geteuid() == 0
        self.job_uid = job_uid
        self.job_gid = job_gid if job_gid is not None else job_uid
        self.kill_grace_s = kill_grace_s
        self.tick_interval_s = tick_interval_s
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._ticker: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> LocalBackend:
        """Build from a settings mapping (state_dir, cpus, gpus, mem_mb, sandbox...)."""
        return cls(
            state_dir=settings.get("state_dir", "var/local-backend"),
            cpus=settings.get("cpus"),
            gpus=int(settings.get("gpus", 0)),
            mem_mb=settings.get("mem_mb"),
            sandbox=bool(settings.get("sandbox", True)),
            extra_ro_binds=settings.get("extra_ro_binds", ()),
            kill_grace_s=float(settings.get("kill_grace_s", 2.0)),
            bind_paths=settings.get("bind_paths", ()),
            job_uid=int(settings.get("job_uid", NOBODY)),
            job_gid=int(settings["job_gid"]) if "job_gid" in settings else None,
        )

    # ------------------------------------------------------------------ public interface

    async def submit(self, spec: JobSpec) -> str:
        """Queue a job; it starts as soon as the node's resources allow."""
        self._validate(spec)
        job_id = await asyncio.to_thread(self._create_job, spec)
        await self._tick()
        return job_id

    async def poll(self, ids: Sequence[str]) -> dict[str, BackendJob]:
        """Run a scheduling pass, then report each job from its files."""
        await self._tick()
        return await asyncio.to_thread(lambda: {i: self._job_status(i) for i in ids})

    async def cancel(self, backend_id: str) -> None:
        """Cancel a job: drop it from the queue, or signal its runner and wait for the result."""
        await asyncio.to_thread(self._cancel, backend_id)
        await self._tick()

    async def read_log(
        self, backend_id: str, offset: int = 0, stream: LogStream = "stdout"
    ) -> tuple[str, int]:
        """Read the job's stdout or stderr file from a byte offset."""
        data = await asyncio.to_thread(read_log_chunk, self._log(backend_id, stream), offset)
        return decode_log_chunk(data, offset)

    async def read_log_tail(
        self, backend_id: str, stream: LogStream = "stdout", max_bytes: int = 64 * 1024
    ) -> LogTail:
        """The end of the job's stdout or stderr file."""
        path = self._log(backend_id, stream)
        return await asyncio.to_thread(read_log_tail_file, path, max_bytes)

    async def accounting(self, since: datetime) -> list[AccountingRecord]:
        """Records of the jobs that ended at or after ``since``."""
        return await asyncio.to_thread(accounting_records, self.jobs_dir, since)

    async def health(self) -> bool:
        """True when the state dir is writable."""
        return os.access(self.state_dir, os.W_OK)

    async def aclose(self) -> None:
        """Stop the background scheduling loop (running jobs keep running)."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    # ------------------------------------------------------------------ submission

    def _validate(self, spec: JobSpec) -> None:
        if spec.time_limit_s <= 0:
            raise ValueError("time_limit_s must be positive")
        if spec.nodes != 1:
            raise SubmissionRejected("the local backend has a single node; nodes must be 1")
        demand = _demand(spec)
        if demand.cpus > self.cpus or demand.gpus > self.gpus or demand.mem_mb > self.mem_mb:
            raise SubmissionRejected(
                f"job asks for {demand.cpus} CPUs, {demand.gpus} GPUs, {demand.mem_mb} MB; this "
                f"node has {self.cpus} CPUs, {self.gpus} GPUs, {self.mem_mb} MB"
            )
        if self.sandbox and self.bwrap is None:
            raise SubmissionRejected(
                "bubblewrap (bwrap) is not installed on this machine, so the local cluster "
                "cannot sandbox jobs; install bubblewrap (or, knowingly, set sandbox = false "
                "in the cluster's settings)"
            )
        for name in spec.env:
            if refused_env_name(name) and name != "AIFHUB_JOB_ID":
                raise SubmissionRejected(f"the job may not set the environment variable {name}")
        if spec.workdir is not None:
            check_workdir(spec.workdir, self.bind_paths)
        for staged in spec.inputs:
            if not os.path.exists(staged.source_path):
                raise SubmissionRejected(f"input {staged.name!r}: {staged.source_path} not found")
            if not os.path.isabs(staged.mount_path):
                raise ValueError(f"input {staged.name!r}: mount_path must be absolute")

    def _create_job(self, spec: JobSpec) -> str:
        with self._locked():
            job_id, job_dir = claim_job_dir(self.state_dir, self.jobs_dir)
            (job_dir / "script.sh").write_text(spec.script)
            write_json_atomic(
                job_dir / "job.json",
                {
                    "id": job_id,
                    "spec": asdict(spec),
                    "submitted_at": now_utc().isoformat(),
                    "state": "pending",
                },
            )
            (self.active_dir / job_id).touch()
        return job_id

    def _cancel(self, job_id: str) -> None:
        job_dir = self._dir(job_id)
        with self._locked():
            job = read_json(job_dir / "job.json")
            if job is None or (job_dir / "result.json").exists():
                return
            if job["state"] == "pending":
                write_json_once(
                    job_dir / "result.json",
                    {"state": "cancelled", "exit_code": None, "reason": "cancelled",
                     "started_at": None, "ended_at": now_utc().isoformat()},
                )  # fmt: skip
                (self.active_dir / job_id).unlink(missing_ok=True)
                return
            # The marker covers a runner still starting up (it checks it once its SIGTERM
            # handler is in place and runner.json is written); the signal wakes a running one.
            (job_dir / "cancel").touch()
            runner = read_json(job_dir / "runner.json") or {}
            if same_process_alive(runner.get("pid"), runner.get("start_time")):
                os.kill(runner["pid"], signal.SIGTERM)
        # The runner kills the job's group and writes result.json; wait for it (bounded),
        # so the caller sees CANCELLED on its next poll.
        for _ in range(int((self.kill_grace_s + 3) / 0.05)):
            if (job_dir / "result.json").exists():
                return
            self._reap()
            time.sleep(0.05)

    # ------------------------------------------------------------------ scheduling

    async def _tick(self) -> None:
        self._ensure_ticker()
        await asyncio.to_thread(self._schedule)

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            # A weak reference, so dropping the backend object also ends its loop.
            self._ticker = asyncio.get_running_loop().create_task(
                _tick_forever(weakref.ref(self), self.tick_interval_s)
            )

    def _schedule(self) -> None:
        """One scheduling pass: retire finished jobs, then start what fits (FIFO + backfill)."""
        self._reap()
        with self._locked():
            running: list[RunningJob] = []
            pending: list[tuple[str, dict[str, Any]]] = []
            for job_id in sorted(os.listdir(self.active_dir), key=id_key):
                job_dir = self._dir(job_id)
                job = read_json(job_dir / "job.json")
                if job is None or self._settle(job_id, job):
                    (self.active_dir / job_id).unlink(missing_ok=True)
                elif job["state"] == "pending":
                    pending.append((job_id, job))
                else:
                    spec = job["spec"]
                    running.append(
                        RunningJob(
                            demand=demand_of(spec),
                            gpu_indices=tuple(job.get("gpu_indices", [])),
                            ends_at=parse_dt(job["launched_at"]).timestamp()  # type: ignore[union-attr]
                            + spec["time_limit_s"]
                            + self.kill_grace_s,
                        )
                    )
            queue = [(jid, demand_of(j["spec"]), j["spec"]["time_limit_s"]) for jid, j in pending]
            starts = pick_jobs_to_start(
                self.cpus, self.gpus, self.mem_mb, running, queue, now_utc().timestamp()
            )
            jobs = dict(pending)
            for job_id, gpu_indices in starts:
                self._launch(job_id, jobs[job_id], gpu_indices)

    def _settle(self, job_id: str, job: dict[str, Any]) -> bool:
        """True when a launched job is finished (result recorded, or runner lost)."""
        job_dir = self._dir(job_id)
        if (job_dir / "result.json").exists():
            return True
        if job["state"] == "pending":
            return False
        runner = read_json(job_dir / "runner.json")
        pid, start = job.get("runner_pid"), job.get("runner_start_time")
        if runner is not None:
            pid, start = runner["pid"], runner["start_time"]
        if same_process_alive(pid, start):
            return False
        if (job_dir / "result.json").exists():  # it wrote its result just before exiting
            return True
        # The runner died without a result (SIGKILL, OOM killer, reboot): the job's own
        # processes may still run orphaned; kill them so they free the node's resources.
        started = read_json(job_dir / "started.json")
        if started and same_process_alive(started["pid"], started["start_time"]):
            try:
                os.killpg(started["pid"], signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        write_json_once(
            job_dir / "result.json",
            {
                "state": JobState.FAILED.value,
                "exit_code": None,
                "reason": LOST_REASON,
                "started_at": started["started_at"] if started else None,
                "ended_at": now_utc().isoformat(),
            },
        )
        return True

    def _launch(self, job_id: str, job: dict[str, Any], gpu_indices: list[int]) -> None:
        job_dir = self._dir(job_id)
        job.update(
            state="launched",
            launched_at=now_utc().isoformat(),
            gpu_indices=gpu_indices,
            bwrap=self.bwrap,
            binds=[(p, p, False) for p in self.extra_ro_binds if os.path.exists(p)]
            + [(b.path, b.path, b.writable) for b in self.bind_paths],
            job_uid=self.job_uid if self.run_as_root else None,
            job_gid=self.job_gid if self.run_as_root else None,
            kill_grace_s=self.kill_grace_s,
        )
        # Record the allocation before starting, so a crash right after never double-books.
        write_json_atomic(job_dir / "job.json", job)
        src_root = str(Path(aifhub.__file__).resolve().parent.parent)
        # A fixed minimal environment: never the platform's (database URL, AIFHUB_* settings).
        env = {**RUNNER_ENV, "PYTHONPATH": src_root}
        with open(job_dir / "runner.log", "ab") as runner_log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "aifhub.backends.local.runner", str(job_dir)],
                stdin=subprocess.DEVNULL,
                stdout=runner_log,
                stderr=runner_log,
                env=env,
                start_new_session=True,  # detached: survives the platform process
                close_fds=True,
            )
        self._children[proc.pid] = proc
        job.update(runner_pid=proc.pid, runner_start_time=process_start_time(proc.pid))
        write_json_atomic(job_dir / "job.json", job)

    def _reap(self) -> None:
        # Our own runner children become zombies when they exit until waited for.
        for pid, proc in list(self._children.items()):
            if proc.poll() is not None:
                del self._children[pid]

    # ------------------------------------------------------------------ reading state

    def _job_status(self, job_id: str) -> BackendJob:
        return job_status(job_id, self._dir(job_id))

    def _log(self, job_id: str, stream: LogStream) -> Path:
        if stream not in ("stdout", "stderr"):
            raise ValueError(f"stream must be 'stdout' or 'stderr', not {stream!r}")
        return self._dir(job_id) / stream

    def _dir(self, job_id: str) -> Path:
        if not job_id.isdigit():
            raise ValueError(f"not a local job id: {job_id!r}")
        return self.jobs_dir / job_id

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.state_dir / "sched.lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


async def _tick_forever(ref: weakref.ref[LocalBackend], interval: float) -> None:
    """Keep scheduling while the backend object lives, so queued jobs start without polls."""
    while True:
        await asyncio.sleep(interval)
        backend = ref()
        if backend is None:
            return
        try:
            await asyncio.to_thread(backend._schedule)
        except Exception:  # a bad pass must not kill the loop; the next one retries
            log.exception("local backend scheduling pass failed")
        del backend


def _demand(spec: JobSpec) -> Demand:
    return Demand(spec.total_cpus, spec.gpus, spec.mem_mb or 0)


def _total_mem_mb() -> int:
    return int(psutil.virtual_memory().total // (1024 * 1024))
