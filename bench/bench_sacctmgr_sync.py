"""Allocation push: sync N accounts (one user each, GPU-minute limits) into Slurm's accounting.

    SLURM_CONF=/tmp/slurm-ci/etc/slurm.conf python bench/bench_sacctmgr_sync.py [-n 3000]

Runs against a fresh accounting cluster entry (``aifbench<timestamp>``, added with sacctmgr)
so it starts from empty and never touches the associations of the cluster the tests use.
Prints the first sync, the no-op re-sync, and a re-sync after changing 10% of the limits.
Reference: ColdFront's Slurm dump takes 15.8 s for 3,000 allocations.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from aifhub.backends.slurm.accounts import SlurmAccounts  # noqa: E402
from aifhub.backends.slurm.commands import run_slurm_command, slurm_env  # noqa: E402
from aifhub.backends.slurm.sacctmgr import AccountLimit  # noqa: E402


async def main() -> None:
    """Create a bench cluster entry, sync, re-sync, change, re-sync; print seconds."""
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("--keep", action="store_true", help="keep the bench cluster entry")
    args = ap.parse_args()
    env = slurm_env(os.environ.get("SLURM_CONF"))
    tag = f"{int(time.time()) % 10**8}"
    cluster = f"aifbench{tag}"
    await run_slurm_command(["sacctmgr", "-i", "add", "cluster", cluster], env, timeout_s=300)
    sync = SlurmAccounts(cluster=cluster, slurm_conf=os.environ.get("SLURM_CONF"))

    def desired(bump: int = 0) -> list[AccountLimit]:
        return [
            AccountLimit(
                f"b{tag}a{i}",
                users=[f"b{tag}u{i}"],
                grp_tres_mins={"gres/gpu": 6000 + (60 if i < bump else 0)}
                if i % 4
                else {"cpu": 100_000},
            )
            for i in range(args.n)
        ]

    try:
        t0 = time.perf_counter()
        first = await sync.apply(desired())
        t_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = await sync.apply(desired())
        t_noop = time.perf_counter() - t0
        t0 = time.perf_counter()
        changed = await sync.apply(desired(bump=args.n // 10))
        t_change = time.perf_counter() - t0
        assoc = await sync.current()
        users = sum(len(a.users) for a in assoc.values())
        print(f"cluster entry           : {cluster}")
        print(f"first sync  ({args.n} accounts + {args.n} users): {t_first:6.2f} s, "
              f"{len(first)} sacctmgr commands")  # fmt: skip
        print(f"no-op re-sync           : {t_noop:6.2f} s, {len(again)} commands")
        print(f"re-sync, 10% limits changed: {t_change:6.2f} s, {len(changed)} commands")
        print(f"in Slurm afterwards     : {len(assoc) - 1} accounts, {users - 1} user associations")
    finally:
        if not args.keep:
            # Deleting the cluster drops the associations; accounts and users are global
            # entities and would stay behind, so they go too (fast once unassociated).
            await run_slurm_command(
                ["sacctmgr", "-i", "delete", "cluster", cluster], env, timeout_s=600
            )
            for kind, prefix in (("user", "u"), ("account", "a")):
                names = [f"b{tag}{prefix}{i}" for i in range(args.n)]
                for k in range(0, len(names), 1000):
                    await run_slurm_command(
                        ["sacctmgr", "-i", "delete", kind, ",".join(names[k : k + 1000])],
                        env,
                        timeout_s=600,
                    )


if __name__ == "__main__":
    asyncio.run(main())
