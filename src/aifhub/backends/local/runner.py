"""The detached wrapper that runs one local job: ``python -m aifhub.backends.local.runner DIR``.

It outlives the platform process on purpose: it starts the job in its own process group,
enforces the time limit, forwards a cancel (SIGTERM to the runner), and records the outcome in
``result.json`` so the job's result is known even if the platform was down when it ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from aifhub.backends.base import JobState
from aifhub.backends.local.files import (
    now_utc,
    process_start_time,
    read_json,
    write_json_atomic,
    write_json_once,
)
from aifhub.backends.local.sandbox import (
    bwrap_command,
    drop_to_job_user,
    plain_command,
    staged_path,
)
from aifhub.schemas.job_env import input_env_name

HOST_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
    "LANG": "C.UTF-8",
}

_cancel_requested = False


def _on_cancel(signum: int, frame: FrameType | None) -> None:
    global _cancel_requested
    _cancel_requested = True


def job_environment(job: dict[str, Any], home: str, sandboxed: bool) -> dict[str, str]:
    """Build the job's environment from scratch, so no platform secret leaks into it."""
    spec = job["spec"]
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
        "HOME": home,
        "TMPDIR": "/tmp",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "AIFHUB_JOB_ID": job["id"],
        "AIFHUB_JOB_NAME": spec["name"],
    }
    for staged in spec.get("inputs", []):
        where = staged["mount_path"] if sandboxed else staged["source_path"]
        env[input_env_name(staged["name"])] = where
    env.update(spec.get("env", {}))
    # Last, so a job cannot grab the node's other GPUs; always set, even to "".
    env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in job.get("gpu_indices", []))
    return env


def job_command(
    job: dict[str, Any], job_dir: Path, work: Path, script_fd: int
) -> tuple[list[str], dict[str, Any]]:
    """The job's argv and the Popen options that run it as the job user, sandboxed or not."""
    spec = job["spec"]
    uid, gid = job.get("job_uid"), job.get("job_gid")
    chdir = spec.get("workdir") or str(work)
    bwrap = job.get("bwrap")
    if not bwrap:  # only when the site file says sandbox = false
        env = job_environment(job, str(work), sandboxed=False)
        options: dict[str, Any] = {"env": env, "cwd": chdir}
        if uid is not None:  # never as root: the kernel clears every capability on this drop
            options.update(user=uid, group=gid, extra_groups=[])
        return plain_command(script_fd), options
    binds = [(str(b[0]), str(b[1]), bool(b[2])) for b in job.get("binds", [])]
    binds += [(i["source_path"], i["mount_path"], False) for i in spec.get("inputs", [])]
    work_source = str(work)
    preexec = None
    if uid is not None:
        preexec = drop_to_job_user([work_source] + [b[0] for b in binds], uid, int(job["job_gid"]))
        work_source = staged_path(0)
        binds = [(staged_path(n + 1), mount, rw) for n, (_, mount, rw) in enumerate(binds)]
    cmd = bwrap_command(
        bwrap,
        script_fd=script_fd,
        work_source=work_source,
        work_mount=str(work),
        chdir=chdir,
        binds=binds,
        env=job_environment(job, str(work), sandboxed=True),
        allow_network=bool(spec.get("allow_network", False)),
        uid=uid if uid is not None else os.getuid(),
        gid=gid if gid is not None else os.getgid(),
    )
    # The host-side bwrap process gets no variable of the job's (LD_PRELOAD would run there).
    return cmd, {"env": dict(HOST_ENV), "cwd": "/", "preexec_fn": preexec}


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run(job_dir: Path) -> int:
    """Run the job described in ``job_dir/job.json`` and record its result; return 0."""
    signal.signal(signal.SIGTERM, _on_cancel)
    signal.signal(signal.SIGINT, _on_cancel)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the platform's terminal going away is no cancel
    write_json_atomic(
        job_dir / "runner.json", {"pid": os.getpid(), "start_time": process_start_time(os.getpid())}
    )
    job = read_json(job_dir / "job.json")
    if job is None:
        return 1
    spec = job["spec"]
    # The job's own folder: job_dir itself (the bookkeeping files) is never bound or shared.
    work = job_dir / "work"
    work.mkdir(mode=0o700, exist_ok=True)
    if job.get("job_uid") is not None:
        os.chown(work, job["job_uid"], job["job_gid"])
    script_fd = os.open(job_dir / "script.sh", os.O_RDONLY)
    cmd, options = job_command(job, job_dir, work, script_fd)
    grace = float(job.get("kill_grace_s", 2.0))
    cancel_file = job_dir / "cancel"
    if cancel_file.exists():  # cancelled before the job could start
        write_json_once(
            job_dir / "result.json",
            {"state": JobState.CANCELLED.value, "exit_code": None, "reason": "cancelled",
             "started_at": None, "ended_at": now_utc().isoformat()},
        )  # fmt: skip
        return 0
    started_at = now_utc()
    state: JobState | None = None
    reason: str | None = None
    with open(job_dir / "stdout", "ab") as out, open(job_dir / "stderr", "ab") as err:
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                pass_fds=(script_fd,),
                start_new_session=True,  # own process group: the limit kills every child
                **options,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            write_json_once(
                job_dir / "result.json",
                {
                    "state": JobState.FAILED.value,
                    "exit_code": 127,
                    "reason": f"could not start the job: {exc} (details in the job's stderr)",
                    "started_at": started_at.isoformat(),
                    "ended_at": now_utc().isoformat(),
                },
            )
            return 0
        finally:
            os.close(script_fd)
        write_json_atomic(
            job_dir / "started.json",
            {
                "pid": proc.pid,
                "start_time": process_start_time(proc.pid),
                "started_at": started_at.isoformat(),
            },
        )
        deadline = time.monotonic() + int(spec["time_limit_s"])
        while proc.poll() is None:
            if (_cancel_requested or cancel_file.exists()) and state is None:
                state, reason = JobState.CANCELLED, "cancelled"
            elif time.monotonic() >= deadline and state is None:
                state, reason = JobState.TIMEOUT, f"time limit of {spec['time_limit_s']} s reached"
            if state is not None:
                _kill_group(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    _kill_group(proc.pid, signal.SIGKILL)
                    proc.wait()
                break
            time.sleep(0.05)
        # Like Slurm at the end of a step: no background child outlives the job.
        _kill_group(proc.pid, signal.SIGKILL)
    rc = proc.returncode
    exit_code = rc if rc >= 0 else 128 - rc
    if state is None:
        state = JobState.COMPLETED if rc == 0 else JobState.FAILED
        reason = None if rc == 0 else f"exit code {exit_code}"
    write_json_once(
        job_dir / "result.json",
        {
            "state": state.value,
            "exit_code": exit_code,
            "reason": reason,
            "started_at": started_at.isoformat(),
            "ended_at": now_utc().isoformat(),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1])))
