"""Allocation push: time to sync 3,000 allocations and 15,000 members to Slurm.

    PYTHONPATH=src .venv/bin/python bench/bench_compute_push.py [--allocations 3000] [--apply]

Creates 3,000 projects, each with an allocation on a GPU partition and 5 members with approved
cluster logins (15,000; 10 % of the allocations expired: those accounts are blocked). Measures
the dry run planned from nothing (DB -> desired -> plan). With --apply (SLURM_CONF: the real
Slurm test cluster of scripts/start-slurm.sh) it applies the push, then measures the dry run
against the live cluster once its 3,000 accounts exist (the realistic second push: the
sacctmgr show cluster / show assoc reads included; sshare is skipped on an entry no controller
registered), runs the push again (must be 0
commands) and deletes the bench cluster entry, accounts and users afterwards. With
--accounts-only the users are not added (slurmdbd adds user associations slowly: see
docs/backends.md); the dry run then plans their 15,000 additions.

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

from sqlalchemy import select, update

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


async def set_logins(maker, status: str) -> None:  # type: ignore[no-untyped-def]
    async with maker() as s:
        await s.execute(update(ClusterLogin).values(status=status))
        await s.commit()


async def live(maker, args: argparse.Namespace, cluster_name: str) -> None:  # type: ignore[no-untyped-def]
    """Apply, then time the dry run against the live cluster, then push again."""
    if args.accounts_only:  # the accounts exist in Slurm, their users not yet
        await set_logins(maker, "pending")
    async with maker() as s:
        t1 = time.perf_counter()
        done = await push_allocations(s)
        t_apply = time.perf_counter() - t1
        await s.commit()
    print(f"apply on the real Slurm ({cluster_name}): {t_apply:.2f} s ({done[0]})")
    if args.accounts_only:
        await set_logins(maker, "approved")
    runs = []
    for _ in range(5):
        async with maker() as s:
            t2 = time.perf_counter()
            plan_live = await push_allocations(s, dry_run=True)
            runs.append(time.perf_counter() - t2)
    best, median = min(runs), sorted(runs)[len(runs) // 2]
    print(f"dry run against the live cluster (reads included): median {median:.2f} s, best "
          f"{best:.2f} s of {', '.join(f'{r:.2f}' for r in runs)} ({plan_live[0]})")  # fmt: skip
    print(f"  vs ColdFront's slurm_dump {COLDFRONT_S} s (its published/measured figure, not run "
          f"here): {COLDFRONT_S / median:.0f}x faster (median)")  # fmt: skip
    if not args.accounts_only:
        async with maker() as s:
            t3 = time.perf_counter()
            again = await push_allocations(s)
            await s.commit()
        print(f"second push: {time.perf_counter() - t3:.2f} s ({again[0]})")


async def cleanup(args: argparse.Namespace, prefix: str, cluster_name: str) -> None:
    """Drop the bench cluster entry (its associations go with it), then its accounts/users."""
    drop = ["sacctmgr", "-i", "delete", "cluster", cluster_name]
    await asyncio.to_thread(subprocess.run, drop, capture_output=True, check=False)
    names = [f"{prefix}b{i}" for i in range(args.allocations)]
    logins = [f"{prefix}u{i}x{k}" for i in range(args.allocations) for k in range(MEMBERS)]
    for kind, items in (("user", logins), ("account", names)):
        for k in range(0, len(items), 1000):
            cmd = ["sacctmgr", "-i", "delete", kind, ",".join(items[k : k + 1000])]
            await asyncio.to_thread(subprocess.run, cmd, capture_output=True, check=False)


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
        try:
            await live(maker, args, cluster_name)
        finally:
            await cleanup(args, prefix, cluster_name)
    await engine.dispose()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--allocations", type=int, default=3000)
    ap.add_argument("--apply", action="store_true", help="Run on the real Slurm (SLURM_CONF)")
    ap.add_argument("--database-url", default="")
    ap.add_argument(
        "--accounts-only",
        action="store_true",
        help="With --apply: create the accounts only, then time the dry run that would add "
        "the 15,000 users (adding user associations is slow in slurmdbd: docs/backends.md)",
    )
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
