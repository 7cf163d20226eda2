"""The on-disk record of a local job, shared by the local backend and its runner process.

One folder per job under ``<state_dir>/jobs/<id>/``:

    job.json      written by the backend: the spec, submit time, allocation, runner pid
    runner.json   written by the runner when it starts: its own pid and process start time
    started.json  written by the runner when the job's process starts
    result.json   the outcome (state, exit code, times); written once, by the runner (or by
                  the backend when the runner was lost)
    stdout, stderr, script.sh, work/

Every JSON file is written atomically (temporary file + rename), so a reader never sees half
of one, and a crash leaves either the old content or the new.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil


def now_utc() -> datetime:
    """Current time, UTC-aware."""
    return datetime.now(UTC)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to ``path`` atomically and durably."""
    write_text_atomic(path, json.dumps(data, default=str))


def write_text_atomic(path: Path, text: str) -> None:
    """Write text to ``path`` atomically and durably (readers see the old or the new file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_once(path: Path, data: dict[str, Any]) -> bool:
    """Write ``path`` atomically only if it does not exist; False when it already did."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, default=str)
        f.flush()
        os.fsync(f.fileno())
    try:
        # link() fails if the target exists, which makes "first writer wins" race-free
        # between the runner recording a result and the backend declaring it lost.
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


def read_json(path: Path) -> dict[str, Any] | None:
    """Read a JSON file, or None if it does not exist."""
    try:
        with open(path) as f:
            data: dict[str, Any] = json.load(f)
            return data
    except FileNotFoundError:
        return None


def process_start_time(pid: int) -> float | None:
    """Start time of a live (non-zombie) process, or None when there is no such process."""
    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return None
        return float(p.create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def same_process_alive(pid: int | None, start_time: float | None) -> bool:
    """True when ``pid`` is alive AND is the process that started at ``start_time``.

    Comparing the start time too guards against a recycled pid after a reboot or a long run.
    """
    if pid is None or start_time is None:
        return False
    current = process_start_time(pid)
    return current is not None and abs(current - start_time) < 0.05


def parse_dt(value: str | None) -> datetime | None:
    """Parse an ISO timestamp written by :func:`write_json_atomic`."""
    return datetime.fromisoformat(value) if value else None


def id_key(job_id: str) -> int:
    """Sort key of a job folder's name: numeric ids in order, anything else first."""
    return int(job_id) if job_id.isdigit() else -1


def claim_job_dir(state_dir: Path, jobs_dir: Path) -> tuple[str, Path]:
    """The next job id and its new folder; a crash at any point never reuses or blocks ids.

    The counter is only a hint (written atomically); creating the folder is the claim, so
    a counter left behind by a killed process is skipped over, never trusted blindly.
    """
    counter = state_dir / "next_id"
    try:
        next_id = int(counter.read_text())
    except (FileNotFoundError, ValueError):
        existing = [int(p.name) for p in jobs_dir.iterdir() if p.name.isdigit()]
        next_id = max(existing, default=0) + 1
    while True:
        job_dir = jobs_dir / str(next_id)
        try:
            job_dir.mkdir()
            break
        except FileExistsError:
            next_id += 1
    write_text_atomic(counter, str(next_id + 1))
    return str(next_id), job_dir
