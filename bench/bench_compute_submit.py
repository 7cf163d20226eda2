"""Submission throughput through the platform to the real Slurm vs plain sbatch (same run).

    . /tmp/slurm-ci/env.sh
    PYTHONPATH=src .venv/bin/python bench/bench_compute_submit.py [--jobs 200]

Plain: `sbatch --parsable` N times in a row. Platform: N `submit_job` calls (checks, job row,
reservation, commit each, as the API does) then the worker's `deliver` rounds until every job
has its Slurm id. Both submit the same tiny held job (`--hold` is not used: a 1-minute `true`
on partition cpu), all jobs are scancel'ed afterwards. Prints jobs/s of each and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from aifhub.access.models import Allocation
from aifhub.compute.config import ComputeConfig
from aifhub.compute.delivery import deliver_queued
from aifhub.compute.models import ClusterLogin, Job
from aifhub.compute.service import submit_job
from aifhub.core.config import SiteConfig
from aifhub.core.db import make_engine, make_sessionmaker, utcnow
from aifhub.core.migrate import upgrade
from aifhub.identity.models import Organisation, Project, ProjectMember, User
from aifhub.resources.models import Cluster, Partition
from aifhub.resources.site import sync_site
from aifhub.schemas.compute import JobCreate


def plain_sbatch(n: int) -> tuple[float, list[str]]:
    ids = []
    t0 = time.perf_counter()
    for i in range(n):
        out = subprocess.run(
            ["sbatch", "--parsable", "-p", "cpu", "-t", "1", "-A", "root", "-J", f"plain{i}",
             "-o", "/dev/null", "--wrap", "true"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        ids.append(out.stdout.strip().split(";")[0])
    return time.perf_counter() - t0, ids


async def platform(url: str, n: int) -> tuple[float, list[str]]:
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    logs = tempfile.mkdtemp(prefix="bench-slurm-logs-")
    site = {"clusters": [{"name": "ci", "backend": "slurm", "account_format": "root",
                          "settings": {"slurm_conf": os.environ.get("SLURM_CONF"), "log_dir": logs},
                          "partitions": [{"name": "cpu", "cores_per_node": 4}]}]}  # fmt: skip  # noqa: E501
    async with maker() as s:
        await sync_site(s, SiteConfig.model_validate(site))
        cluster = await s.scalar(select(Cluster))
        part = await s.scalar(select(Partition))
        org = Organisation(slug="b", name="B", kind="startup", country="FR")
        user = User(email="bench@b.eu", name="Bench")
        s.add_all([org, user])
        await s.flush()
        project = Project(slug="bench", name="Bench", org_id=org.id, sector="health")
        s.add(project)
        await s.flush()
        s.add(ProjectMember(project_id=project.id, user_id=user.id, role="pi"))
        s.add(ClusterLogin(user_id=user.id, cluster_id=cluster.id, login="root"))
        s.add(Allocation(project_id=project.id, partition_id=part.id, amount=Decimal(10**6),
                         starts_at=utcnow() - timedelta(days=1),
                         ends_at=utcnow() + timedelta(days=30), state="active"))  # fmt: skip
        await s.commit()
        user_id = user.id
    config = ComputeConfig(delivery_batch=n)
    t0 = time.perf_counter()
    for i in range(n):
        async with maker() as s:
            u = await s.get(User, user_id)
            data = JobCreate(project="bench", partition="ci/cpu", name=f"plat{i}", script="true",
                             time_limit="1m")  # fmt: skip
            await submit_job(s, u, data=data, job_inputs=None)
            await s.commit()
    t_accept = time.perf_counter() - t0
    while True:
        await deliver_queued(maker, Path(logs), config, job_inputs=None)
        async with maker() as s:
            left = await s.scalar(
                select(func.count()).select_from(Job).where(Job.backend_id.is_(None))
            )
        if not left:
            break
    elapsed = time.perf_counter() - t0
    async with maker() as s:
        ids = [str(i) for i in await s.scalars(select(Job.backend_id))]
    print(f"platform: {n} accepted in {t_accept:.2f} s, all delivered after {elapsed:.2f} s")
    await engine.dispose()
    return elapsed, ids


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=200)
    args = ap.parse_args()
    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    t_plain, plain_ids = plain_sbatch(args.jobs)
    t_plat, plat_ids = asyncio.run(platform(url, args.jobs))
    subprocess.run(["scancel", *plain_ids, *plat_ids], capture_output=True, check=False)
    print(f"plain sbatch: {args.jobs / t_plain:.1f} jobs/s ({t_plain:.2f} s)")
    print(f"through the platform: {args.jobs / t_plat:.1f} jobs/s ({t_plat:.2f} s)")
    print(f"ratio platform/sbatch: {t_plain / t_plat:.2f}")
