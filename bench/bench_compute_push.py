"""Allocation push: time to sync 3,000 allocations and 15,000 members to Slurm.

    PYTHONPATH=src .venv/bin/python bench/bench_compute_push.py [--allocations 3000] [--apply]

Creates 3,000 projects, each with an allocation on a GPU partition and 5 members with approved
cluster logins (15,000; 10 % of the allocations expired: those accounts are blocked). Measures
the dry run planned from nothing (DB -> desired -> plan). With --apply (SLURM_CONF: the real
Slurm test cluster of scripts/start-slurm.sh) it applies the push, then measures the dry run
against the live cluster once its 3,000 accounts exist (the realistic second push: the
sacctmgr show cluster / show assoc and sshare reads included), runs the push again (must be 0
commands) and deletes the bench accounts and users afterwards.

Baseline: ColdFront's slurm_dump takes 14.7 s on the same data (ColdFront's published and
measured figure, not run by this script).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from aifhub.access.models import Allocation
from aifhub.compute.models import ClusterLogin
from aifhub.compute.push import push_allocations
from aifhub.core.config import SiteConfig
from aifhub.core.db import make_engine, make_sessionmaker, utcnow
from aifhub.core.migrate import upgrade
from aifhub.identity.models import Organisation, Project, ProjectMember, User
from aifhub.resources.models import Cluster, Partition
from aifhub.resources.site import sync_site

MEMBERS = 5
COLDFRONT_S = 14.7  # ColdFront's slurm_dump on the same data: its figure, not run here


async def setup(maker, n: int, prefix: str, slurm_conf: str | None, cluster_name: str = "ci",  # type: ignore[no-untyped-def]
                approved: int = MEMBERS) -> None:  # fmt: skip
    settings = {"cluster_name": cluster_name}
    if slurm_conf:
        settings["slurm_conf"] = slurm_conf
    site = {"clusters": [{"name": "jz", "backend": "slurm", "account_format": prefix + "{project}",
                          "settings": settings,
                          "partitions": [{"name": "gpu", "gpus_per_node": 2, "charge_factor": "2"}]}]}  # fmt: skip  # noqa: E501
    now = utcnow()
    async with maker() as s:
        await sync_site(s, SiteConfig.model_validate(site))
        cluster = await s.scalar(select(Cluster))
        part = await s.scalar(select(Partition))
        org = Organisation(slug="bench", name="Bench", kind="startup", country="FR")
        s.add(org)
        await s.flush()
        for i in range(n):
            p = Project(slug=f"b{i}", name=f"B{i}", org_id=org.id, sector="health")
            s.add(p)
            users = [User(email=f"u{i}-{k}@bench.eu", name=f"U{i}") for k in range(MEMBERS)]
            s.add_all(users)
            await s.flush()
            for k, u in enumerate(users):
                s.add(
                    ProjectMember(project_id=p.id, user_id=u.id, role="pi" if k == 0 else "member")
                )
                s.add(
                    ClusterLogin(
                        user_id=u.id, cluster_id=cluster.id, login=f"{prefix}u{i}x{k}",
                        status="approved" if k < approved else "pending",
                    )
                )  # fmt: skip
            expired = i % 10 == 0
            s.add(Allocation(project_id=p.id, partition_id=part.id,
                             amount=Decimal((1000, 5000, 10000, 50000)[i % 4]),
                             starts_at=now - timedelta(days=30),
                             ends_at=now + timedelta(days=-1 if expired else 300),
                             state="expired" if expired else "active"))  # fmt: skip
        await s.commit()


async def main(url: str, args: argparse.Namespace) -> None:
    prefix = f"bp{uuid.uuid4().hex[:4]}"
    conf = os.environ.get("SLURM_CONF") if args.apply else None
    # --apply works on a fresh accounting cluster entry (the push adds it), never on the
    # associations of the cluster the tests use; deleting it at the end drops them.
    cluster_name = f"aifbench{prefix}" if args.apply else "ci"
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    await setup(maker, args.allocations, prefix, conf, cluster_name, args.approved)
    async with maker() as s:
        t0 = time.perf_counter()
        lines = await push_allocations(s, dry_run=True, read_cluster=False)
        t_plan = time.perf_counter() - t0
    print(f"allocations: {args.allocations}, members: {args.allocations * MEMBERS} "
          f"({args.approved} approved login(s) per project)")  # fmt: skip
    print(f"dry run planned from nothing (DB -> desired -> plan): {t_plan:.2f} s ({lines[0]})")
    if args.apply:
        async with maker() as s:
            t1 = time.perf_counter()
            done = await push_allocations(s)
            t_apply = time.perf_counter() - t1
            await s.commit()
            print(f"apply on the real Slurm: {t_apply:.2f} s ({done[0]})")
            runs = []
            for _ in range(3):
                t2 = time.perf_counter()
                live = await push_allocations(s, dry_run=True)
                runs.append(time.perf_counter() - t2)
            best = min(runs)
            print(f"dry run against the live cluster (second push, reads included): best "
                  f"{best:.2f} s of {', '.join(f'{r:.2f}' for r in runs)} ({live[0]})")  # fmt: skip
            print(f"  vs ColdFront's slurm_dump {COLDFRONT_S} s (its published/measured figure, "
                  f"not run here): {COLDFRONT_S / best:.0f}x faster")  # fmt: skip
            t3 = time.perf_counter()
            again = await push_allocations(s)
            t_again = time.perf_counter() - t3
            await s.commit()
        print(f"second push: {t_again:.2f} s ({again[0]})")
        env = {**os.environ}
        drop = ["sacctmgr", "-i", "delete", "cluster", cluster_name]
        await asyncio.to_thread(subprocess.run, drop, capture_output=True, check=False, env=env)
        names = [f"{prefix}b{i}" for i in range(args.allocations)]
        logins = [f"{prefix}u{i}x{k}" for i in range(args.allocations) for k in range(MEMBERS)]
        for kind, items in (("user", logins), ("account", names)):
            for k in range(0, len(items), 1000):
                cleanup = ["sacctmgr", "-i", "delete", kind, ",".join(items[k : k + 1000])]
                await asyncio.to_thread(subprocess.run, cleanup, capture_output=True, check=False)
    await engine.dispose()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--allocations", type=int, default=3000)
    ap.add_argument("--apply", action="store_true", help="Run on the real Slurm (SLURM_CONF)")
    ap.add_argument("--database-url", default="")
    ap.add_argument(
        "--approved",
        type=int,
        default=MEMBERS,
        help="Members per project whose login is approved (pushed to Slurm): adding user "
        "associations is slow in slurmdbd (docs/backends.md)",
    )
    args = ap.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    asyncio.run(main(url, args))
