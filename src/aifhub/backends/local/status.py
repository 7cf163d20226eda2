"""Reading a local job's state and accounting from its files (see localfiles)."""

from __future__ import annotations

import getpass
import os
from datetime import datetime
from pathlib import Path

from aifhub.backends.base import AccountingRecord, BackendJob, JobState
from aifhub.backends.local.files import id_key, now_utc, parse_dt, read_json


def job_status(job_id: str, job_dir: Path) -> BackendJob:
    """The job's current state: result.json if it ended, else queued/launching/running."""
    job = read_json(job_dir / "job.json")
    if job is None:
        return BackendJob(job_id, JobState.UNKNOWN, reason="no such job")
    result = read_json(job_dir / "result.json")
    if result is not None:
        started, ended = parse_dt(result["started_at"]), parse_dt(result["ended_at"])
        return BackendJob(
            job_id,
            JobState(result["state"]),
            reason=result.get("reason"),
            exit_code=result.get("exit_code"),
            started_at=started,
            ended_at=ended,
            elapsed_s=int((ended - started).total_seconds()) if started and ended else 0,
            node="localhost" if started else None,
        )
    if job["state"] == "pending":
        return BackendJob(job_id, JobState.PENDING, reason="Resources")
    started_rec = read_json(job_dir / "started.json")
    if started_rec is None:  # resources given, runner still starting the process
        return BackendJob(job_id, JobState.PENDING, reason="Launching")
    started_at = parse_dt(started_rec["started_at"])
    elapsed = int((now_utc() - started_at).total_seconds()) if started_at else None
    return BackendJob(
        job_id, JobState.RUNNING, started_at=started_at, elapsed_s=elapsed, node="localhost"
    )


def accounting_record(
    job_id: str, job_dir: Path, since: datetime, default_user: str
) -> AccountingRecord | None:
    """The accounting record of a job that ended at or after ``since``, else None."""
    result = read_json(job_dir / "result.json")
    if result is None:
        return None
    ended = parse_dt(result["ended_at"])
    if ended is None or ended < since:
        return None
    job = read_json(job_dir / "job.json") or {}
    spec = job.get("spec", {})
    started = parse_dt(result["started_at"])
    return AccountingRecord(
        backend_id=job_id,
        account=spec.get("account"),
        user=spec.get("user") or default_user,
        partition=spec.get("partition"),
        state=JobState(result["state"]),
        submitted_at=parse_dt(job.get("submitted_at")),
        started_at=started,
        ended_at=ended,
        elapsed_s=int((ended - started).total_seconds()) if started else 0,
        alloc_gpus=spec.get("gpus", 0),
        alloc_cpus=spec.get("ntasks", 1) * spec.get("cpus_per_task", 1),
        comment=spec.get("comment"),
        name=spec.get("name", ""),
        exit_code=result.get("exit_code"),
    )


def accounting_records(jobs_dir: Path, since: datetime) -> list[AccountingRecord]:
    """Records of the jobs under ``jobs_dir`` that ended at or after ``since``."""
    user = getpass.getuser()
    records = []
    for job_id in sorted(os.listdir(jobs_dir), key=id_key):
        rec = accounting_record(job_id, jobs_dir / job_id, since, user)
        if rec is not None:
            records.append(rec)
    return records
