"""A cluster's backend (from the infrastructure's pool), and finding a job again by its comment."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aifhub.backends.base import ComputeBackend
from aifhub.core.infra import BackendPool
from aifhub.resources import Cluster


def backend_settings(cluster: Cluster, state_root: Path) -> dict[str, Any]:
    """The cluster's backend settings; a relative local `state_dir` lives under state_root."""
    # account_format and the login rules are the platform's, not the backend's.
    settings = {
        k: v for k, v in (cluster.settings or {}).items() if k not in ("account_format", "logins")
    }
    if cluster.backend == "local":
        state_dir = Path(settings.get("state_dir", "local-backend"))
        if not state_dir.is_absolute():
            state_dir = state_root / state_dir
        settings["state_dir"] = str(state_dir.resolve())
        settings.pop("demo_gpus", None)
    return settings


def backend_for(backends: BackendPool, cluster: Cluster) -> ComputeBackend:
    """The cluster's backend: built by the pool on first use, the same object afterwards."""
    return backends.get(
        cluster.name, cluster.backend, backend_settings(cluster, backends.state_root)
    )


async def find_by_comment(
    backend: ComputeBackend, comments: Sequence[str], *, since: datetime
) -> dict[str, str]:
    """Backend ids of the jobs carrying these comments (submitted after `since`).

    This is how a job left in `submitting` by a crashed worker is reconciled: by the
    backend's own records, never by guessing. The backend interface has no lookup, so:
    a backend's own `find_by_comment` when it has one; the local backend's job files;
    otherwise the accounting records (sacct lists pending and running jobs too).
    """
    wanted = set(comments)
    if not wanted:
        return {}
    finder = getattr(backend, "find_by_comment", None)
    if finder is not None:
        found: dict[str, str] = await finder(sorted(wanted))
        return found
    jobs_dir = getattr(backend, "jobs_dir", None)
    if backend.name == "local" and jobs_dir is not None:
        return await asyncio.to_thread(_scan_local, Path(jobs_dir), wanted)
    earliest = since - timedelta(minutes=5)
    records = [
        r
        for r in await backend.accounting(earliest)
        if r.submitted_at is None or r.submitted_at >= earliest  # not an older namesake
    ]
    # Slurm keeps the comment in sacct only with AccountingStoreFlags=job_comment; the job
    # name `aifhub-<id>-...` is always kept, so it identifies the job too.
    by_name = {f"aifhub-{c.split(':', 1)[1]}-": c for c in wanted if ":" in c}
    found = {}
    for r in records:
        if r.comment in wanted:
            found[r.comment] = r.backend_id
            continue
        prefix = r.name[: r.name.find("-", len("aifhub-")) + 1] if r.name else ""
        if prefix in by_name:
            found[by_name[prefix]] = r.backend_id
    return found


def _scan_local(jobs_dir: Path, wanted: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in os.listdir(jobs_dir):
        try:
            with open(jobs_dir / name / "job.json") as fh:
                job = json.load(fh)
        except (OSError, ValueError):
            continue
        comment = (job.get("spec") or {}).get("comment")
        if comment in wanted:
            out[comment] = str(job["id"])
    return out
